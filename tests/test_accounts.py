"""Staff sign-in: wrong passwords are refused, and the session cookie is locked down."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.directory_helpers import PASSWORD, add_user


def test_wrong_password_is_refused_without_a_session(client: FlaskClient, db: Session) -> None:
    add_user(db, "sam@example.org", "specialist")
    resp = client.post("/login", data={"email": "sam@example.org", "password": "not-it"})
    assert resp.status_code in {200, 401}
    assert client.get("/directory/lookup").status_code in {302, 401}


def test_session_cookie_is_httponly_samesite_and_secure_on_https(client: FlaskClient,
                                                                  db: Session) -> None:
    add_user(db, "sam@example.org", "specialist")  # the test app's public URL is https://
    resp = client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    cookie = next(value for value in resp.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert client.get("/directory/lookup").status_code == 200
