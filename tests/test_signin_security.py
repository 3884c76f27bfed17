"""Staff sign-in held against an attacker: redirects, guessing, enumeration, stolen cookies."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import views
from accounts.models import User, password_problem, token_digest
from tests.directory_helpers import PASSWORD, add_user

EMAIL = "sam@example.org"


def sign_in(client: FlaskClient, email: str = EMAIL, password: str = PASSWORD,
            next_url: str | None = None, **environ: Any) -> Any:
    path = "/login" if next_url is None else "/login?next=" + next_url
    return client.post(path, data={"email": email, "password": password},
                       environ_base=environ)


@pytest.mark.parametrize("target", [
    "/%09/evil.example/phish", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "http:/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
    "%2F%2Fevil.example", "javascript:alert(1)", "/ /evil.example",
])
def test_sign_in_never_redirects_off_site(client: FlaskClient, db: Session, target: str) -> None:
    add_user(db, EMAIL, "specialist")
    resp = sign_in(client, next_url=target)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/", target


def test_sign_in_follows_a_same_site_path(client: FlaskClient, db: Session) -> None:
    add_user(db, EMAIL, "specialist")
    resp = sign_in(client, next_url="/directory/lookup%3Fcall%3DCA1")
    assert resp.headers["Location"] == "/directory/lookup?call=CA1"


def test_wrong_passwords_are_throttled_per_account_even_before_the_right_one(
        client: FlaskClient, db: Session) -> None:
    add_user(db, EMAIL, "specialist")
    statuses = [sign_in(client, password=f"guess-{n}").status_code for n in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    refused = sign_in(client)  # the right password, too late
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert client.get("/directory/lookup").status_code == 302
    # another account from another address is not held up by this one
    add_user(db, "kim@example.org", "specialist")
    assert sign_in(client, "kim@example.org", REMOTE_ADDR="198.51.100.7").status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app: Flask, db: Session) -> None:
    client = app.test_client()
    statuses = [sign_in(client, f"user{n}@example.org", "whatever-password",
                        REMOTE_ADDR="203.0.113.9").status_code for n in range(52)]
    assert statuses[:50] == [401] * 50 and statuses[50:] == [429, 429]
    assert sign_in(client, "other@example.org", "x", REMOTE_ADDR="203.0.113.10").status_code == 401


def test_successful_sign_ins_do_not_count(client: FlaskClient, db: Session) -> None:
    add_user(db, EMAIL, "specialist")
    for _ in range(15):
        assert sign_in(client).status_code == 302


def test_an_unknown_account_costs_one_password_hash_like_a_known_one(
        client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal time without a timed assertion: both paths run exactly one hash check."""
    import accounts.models as models

    checks: list[str] = []
    real = views.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checks.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(views, "check_password_hash", counting)
    monkeypatch.setattr(models, "check_password_hash", counting)
    add_user(db, EMAIL, "specialist")
    sign_in(client, password="wrong-password-1")
    sign_in(client, email="nobody@example.org", password="wrong-password-1")
    assert len(checks) == 2 and checks[0] == checks[1]  # the same hash method, once each


def test_the_password_policy_refuses_short_and_trivial_passwords() -> None:
    assert password_problem("short") is not None
    assert password_problem("aaaaaaaaaaaaaaaa") is not None
    assert password_problem("sam@example.org", "sam@example.org") is not None
    assert password_problem("a-long-password-1", EMAIL) is None


def test_cli_refuses_a_short_password_and_an_existing_account(app: Flask, db: Session) -> None:
    runner = app.test_cli_runner()
    add = ["users", "add", "--email", EMAIL, "--name", "Sam", "--role", "specialist"]
    short = runner.invoke(args=[*add, "--password", "hunter2"])
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    first = runner.invoke(args=[*add, "--password", PASSWORD])
    assert first.exit_code == 0, first.output
    token = re.search(r"API token: (\S+)", first.output)
    assert token
    again = runner.invoke(args=[*add, "--password", "another-long-password"])
    assert again.exit_code == 1 and "already exists" in again.output
    db.expire_all()
    user = db.scalar(select(User).where(User.email == EMAIL))
    assert user is not None and user.api_token_digest == token_digest(token.group(1))
    assert user.check_password(PASSWORD)


def api_status(client: FlaskClient, token: str) -> int:
    return client.get("/api/directory/search?q=food",
                      headers={"Authorization": f"Bearer {token}"}).status_code


def test_tokens_rotate_and_revoke(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "add", "--email", EMAIL, "--name", "Sam", "--role",
                              "specialist", "--password", PASSWORD]).output
    first = out.rsplit(" ", 1)[-1].strip()
    assert api_status(client, first) == 200
    rotated = runner.invoke(args=["users", "token", "--email", EMAIL])
    second = rotated.output.rsplit(" ", 1)[-1].strip()
    assert rotated.exit_code == 0 and second != first
    assert api_status(client, first) == 401 and api_status(client, second) == 200
    revoked = runner.invoke(args=["users", "token", "--email", EMAIL, "--revoke"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert api_status(client, second) == 401
    assert runner.invoke(args=["users", "token", "--email", "no@example.org"]).exit_code == 1


def captured_cookie(app: Flask, db: Session) -> tuple[FlaskClient, str]:
    """Sign in, and copy the session cookie as an attacker would."""
    add_user(db, EMAIL, "specialist")
    client = app.test_client()
    assert sign_in(client).status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    return client, cookie.value


def replay(app: Flask, cookie: str) -> int:
    thief = app.test_client()
    thief.set_cookie("session", cookie, domain="localhost")
    return thief.get("/directory/lookup").status_code


def test_a_captured_cookie_stops_working_after_sign_out(app: Flask, db: Session) -> None:
    client, cookie = captured_cookie(app, db)
    assert replay(app, cookie) == 200
    assert client.post("/logout").status_code == 302
    assert replay(app, cookie) == 302


def test_a_captured_cookie_stops_working_after_deactivation_and_password_change(
        app: Flask, db: Session) -> None:
    runner = app.test_cli_runner()
    _client, cookie = captured_cookie(app, db)
    assert runner.invoke(args=["users", "password", "--email", EMAIL, "--password",
                               "a-new-long-password"]).exit_code == 0
    assert replay(app, cookie) == 302
    client = app.test_client()
    assert sign_in(client, password="a-new-long-password").status_code == 302
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]
    assert replay(app, cookie) == 200
    result = runner.invoke(args=["users", "deactivate", "--email", EMAIL])
    assert result.exit_code == 0, result.output
    assert replay(app, cookie) == 302
    assert sign_in(app.test_client(), password="a-new-long-password").status_code == 401


def test_sign_out_needs_its_csrf_token(csrf_app: Flask) -> None:
    db = csrf_app.extensions["db_sessionmaker"]()
    add_user(db, EMAIL, "specialist")
    db.close()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    client.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                "csrf_token": token.group(1)})
    assert client.get("/directory/lookup").status_code == 200
    assert client.get("/logout").status_code == 405  # never a GET (an <img> could sign out)
    assert client.post("/logout").status_code == 400  # no token
    assert client.get("/directory/lookup").status_code == 200
    assert client.post("/logout", data={"csrf_token": token.group(1)}).status_code == 302
    assert client.get("/directory/lookup").status_code == 302


def test_signin_limits_come_from_settings(settings: Any, store: Any, clock: Any) -> None:
    from tests.conftest import _app_for

    tight = replace(settings, signin_limit_per_account="2 per hour")
    for app in _app_for(tight, store, clock):
        db = app.extensions["db_sessionmaker"]()
        add_user(db, EMAIL, "specialist")
        db.close()
        client = app.test_client()
        assert [sign_in(client, password="x").status_code for _ in range(3)] == [401, 401, 429]


def test_only_the_sign_in_view_pays_for_the_limiter(app: Flask, client: FlaskClient) -> None:
    """The limiter's check runs in the sign-in view's decorators, not before every request
    (a webhook has no limit to find, #16); sign-in is still throttled (the tests above)."""
    limiter = app.extensions["limiter"]
    checks = [hook for hook in app.before_request_funcs.get(None, [])
              if getattr(hook, "__self__", None) is limiter]
    assert checks == []
    assert [sign_in(client, password="x").status_code for _ in range(11)][-1] == 429
