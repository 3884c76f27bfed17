"""The routing JSON API: token auth, roles (only admins write), CSRF for session writes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User, token_digest
from routing.models import RoutingAudit

TOKENS = {"admin": "admin-token", "specialist": "specialist-token", "planner": "planner-token"}


def add_users(db: Session) -> dict[str, int]:
    ids = {}
    for role, token in TOKENS.items():
        user = User(email=f"{role}@example.org", name=role.title(), role=role, password_hash="",
                    api_token_digest=token_digest(token))
        user.set_password("correct horse battery staple")
        db.add(user)
        db.flush()
        ids[role] = user.id
    db.commit()
    return ids


def session_user_id(app: Flask, user_id: int) -> str:
    """What Flask-Login keeps in a signed-in session for this user (id and session version)."""
    db = app.extensions["db_sessionmaker"]()
    user = db.get(User, user_id)
    db.close()
    assert user is not None
    return user.get_id()


@pytest.fixture
def users(db: Session) -> dict[str, int]:
    return add_users(db)


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


def draft(client: FlaskClient) -> dict[str, Any]:
    resp = client.get("/api/admin/routing/draft", headers=auth("admin"))
    assert resp.status_code == 200
    return resp.get_json()["document"]


WRITES = [
    ("put", "/api/admin/routing/draft", {"rules": []}),
    ("put", "/api/admin/routing/draft/rules", []),
    ("delete", "/api/admin/routing/draft", None),
    ("post", "/api/admin/routing/publish", {"note": "x"}),
    ("post", "/api/admin/routing/versions/1/rollback", None),
    ("post", "/api/admin/bulletins", {"title": "t"}),
    ("put", "/api/admin/bulletins/1", {"title": "t"}),
    ("delete", "/api/admin/bulletins/1", None),
]


@pytest.mark.parametrize("role", ["specialist", "planner"])
@pytest.mark.parametrize(("method", "path", "payload"), WRITES)
def test_specialists_and_planners_get_403_on_every_write(
        client: FlaskClient, users: dict[str, int], db: Session, role: str, method: str, path: str,
        payload: Any) -> None:
    resp = getattr(client, method)(path, json=payload, headers=auth(role))
    assert resp.status_code == 403
    assert resp.get_json() == {"error": "requires role: admin"}
    assert db.scalar(select(RoutingAudit)) is None


@pytest.mark.parametrize(("method", "path", "payload"), WRITES[:4])
def test_no_credentials_get_401(client: FlaskClient, method: str, path: str, payload: Any) -> None:
    resp = getattr(client, method)(path, json=payload)
    assert resp.status_code == 401 and "error" in resp.get_json()


def test_bad_token_gets_401(client: FlaskClient, users: dict[str, int]) -> None:
    resp = client.get("/api/admin/routing/draft", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401


def test_other_roles_may_read(client: FlaskClient, users: dict[str, int]) -> None:
    for role in ("specialist", "planner"):
        assert client.get("/api/admin/routing/versions", headers=auth(role)).status_code == 200


def test_admin_edits_validates_publishes_and_rolls_back(client: FlaskClient, users: dict[str, int],
                                                        db: Session) -> None:
    doc = draft(client)
    rules = doc["rules"]
    next(r for r in rules if r["id"] == "north-in-hours")["then"]["provider"] = "east"
    resp = client.put("/api/admin/routing/draft/rules", json=rules, headers=auth("admin"))
    assert resp.status_code == 200 and resp.get_json()["validation"]["ok"]
    published = client.post("/api/admin/routing/publish", json={"note": "north to east"},
                            headers=auth("admin"))
    assert published.status_code == 201 and published.get_json()["number"] == 1
    assert published.get_json()["published_by"] == "admin@example.org"
    versions = client.get("/api/admin/routing/versions", headers=auth("admin")).get_json()
    assert [v["number"] for v in versions["versions"]] == [1]
    explain = client.post("/api/admin/routing/explain", headers=auth("admin"),
                          json={"from": "+18075550123", "at": "2026-11-24T11:00",
                                "rules": "published"}).get_json()
    assert explain["decision"]["provider"] == "east" and explain["matched_rule"] == "north-in-hours"
    client.put("/api/admin/routing/draft/rules", json=draft(client)["rules"][:-1],
               headers=auth("admin"))
    refused = client.post("/api/admin/routing/publish", json={}, headers=auth("admin"))
    assert refused.status_code == 422  # the catch-all rule is gone: holes
    audit = client.get("/api/admin/routing/audit", headers=auth("planner")).get_json()["entries"]
    assert [e["action"] for e in audit] == ["draft.rules", "publish", "draft.rules"]
    assert audit[1]["actor"] == "admin@example.org"


def test_publish_refusal_names_the_hole(client: FlaskClient, users: dict[str, int]) -> None:
    rules = [r for r in draft(client)["rules"] if r["id"] != "after-hours"]
    client.put("/api/admin/routing/draft/rules", json=rules, headers=auth("admin"))
    resp = client.post("/api/admin/routing/publish", json={}, headers=auth("admin"))
    assert resp.status_code == 422
    errors = [e["message"] for e in resp.get_json()["validation"]["errors"]]
    assert "no route for region central, language en, Monday 00:00 to Monday 08:00 on regular days" \
        in errors


def test_rollback_restores_an_earlier_version(client: FlaskClient, users: dict[str, int]) -> None:
    assert client.post("/api/admin/routing/publish", json={}, headers=auth("admin")).status_code == 201
    rules = draft(client)["rules"]
    rules[0]["description"] = "changed"
    client.put("/api/admin/routing/draft/rules", json=rules, headers=auth("admin"))
    assert client.post("/api/admin/routing/publish", json={}, headers=auth("admin")).status_code == 201
    back = client.post("/api/admin/routing/versions/1/rollback", headers=auth("admin"))
    assert back.status_code == 201 and back.get_json()["source_number"] == 1
    three = client.get("/api/admin/routing/versions/3", headers=auth("admin")).get_json()
    one = client.get("/api/admin/routing/versions/1", headers=auth("admin")).get_json()
    assert three["document"] == one["document"]
    assert client.post("/api/admin/routing/versions/9/rollback", headers=auth("admin")).status_code == 404


def test_bad_input_answers_4xx_json(client: FlaskClient, users: dict[str, int]) -> None:
    bad = [
        client.put("/api/admin/routing/draft", data="not json", headers=auth("admin")),
        client.put("/api/admin/routing/draft/nope", json=[], headers=auth("admin")),
        client.post("/api/admin/routing/explain", json={"at": "yesterday"}, headers=auth("admin")),
        client.post("/api/admin/bulletins", json={"title": "x"}, headers=auth("admin")),
        client.post("/api/admin/bulletins", json={"title": "x", "text_en": "a", "text_fr": "b",
                                                  "starts_at": "2026-11-23T10:00",
                                                  "regions": ["atlantis"]}, headers=auth("admin")),
    ]
    assert [r.status_code for r in bad] == [400, 404, 400, 400, 400]
    assert all("error" in r.get_json() for r in bad)
    assert bad[4].get_json()["error"] == "unknown region(s): atlantis"


def test_bulletin_api_reaches_the_next_call(client: FlaskClient, users: dict[str, int],
                                            twilio: Any, db: Session) -> None:
    from tests.twilio_helpers import spoken, twiml

    created = client.post("/api/admin/bulletins", headers=auth("admin"), json={
        "title": "Heat", "text_en": "Heat warning: cooling centres are open.",
        "text_fr": "Alerte de chaleur : centres de rafraîchissement ouverts.",
        "starts_at": "2026-11-23T09:00", "ends_at": "2026-11-23T18:00", "regions": ["north"]})
    assert created.status_code == 201
    twilio.post("/voice/incoming", CallSid="CA1", From="+18075550123")
    said = spoken(twiml(twilio.post("/voice/language", CallSid="CA1", Digits="2")))
    assert "Alerte de chaleur" in said
    bulletin_id = created.get_json()["id"]
    changed = client.put(f"/api/admin/bulletins/{bulletin_id}", json={"regions": ["east"]},
                         headers=auth("admin"))
    assert changed.status_code == 200
    twilio.post("/voice/incoming", CallSid="CA2", From="+18075550123")
    assert "Alerte" not in spoken(twiml(twilio.post("/voice/language", CallSid="CA2", Digits="2")))
    assert client.delete(f"/api/admin/bulletins/{bulletin_id}", headers=auth("admin")).status_code == 200
    entries = db.scalars(select(RoutingAudit).where(RoutingAudit.action.startswith("bulletin"))
                         .order_by(RoutingAudit.id)).all()
    assert [e.action for e in entries] == ["bulletin.create", "bulletin.update", "bulletin.delete"]
    assert {"path": "regions", "before": ["north"], "after": ["east"]} in entries[1].changes


# --- CSRF: session-authenticated writes need the token --------------------------------------

def signed_in(app: Flask, role: str) -> FlaskClient:
    db = app.extensions["db_sessionmaker"]()
    ids = add_users(db)
    db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(app, ids[role])
        session["_fresh"] = True
    return client


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/admin/routing/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def test_session_write_without_csrf_header_is_refused(csrf_app: Flask) -> None:
    client = signed_in(csrf_app, "admin")
    resp = client.post("/api/admin/routing/publish", json={})
    assert resp.status_code == 403
    assert resp.get_json() == {"error": "missing or invalid X-CSRFToken header"}
    ok = client.post("/api/admin/routing/publish", json={},
                     headers={"X-CSRFToken": csrf_token(client)})
    assert ok.status_code == 201


def test_bearer_token_needs_no_csrf(csrf_app: Flask) -> None:
    signed_in(csrf_app, "admin")  # creates the users
    resp = csrf_app.test_client().post("/api/admin/routing/publish", json={}, headers=auth("admin"))
    assert resp.status_code == 201
