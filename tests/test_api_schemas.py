"""JSON input through schemas: every 4xx names the field; the OpenAPI document lists every
/api route and is valid OpenAPI 3 (checked with openapi-spec-validator)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy.orm import Session

from tests.test_admin_routing_api import add_users, auth


@pytest.fixture
def users(db: Session) -> dict[str, int]:
    return add_users(db)


def test_the_openapi_document_lists_every_api_route_and_is_valid(app: Flask,
                                                                client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    listed = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(
                    f"<path:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
            routes |= {(path, m.lower()) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    assert routes and listed == routes
    explain = doc["paths"]["/api/admin/routing/explain"]["post"]["requestBody"]
    schema = doc["components"]["schemas"]["ExplainIn"]
    assert explain["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ExplainIn"}
    assert {"from", "at", "region", "rules"} <= set(schema["properties"])
    search = doc["paths"]["/api/directory/search"]["get"]["parameters"]
    assert {"q", "region", "limit", "open_now"} <= {p["name"] for p in search}
    summary = doc["paths"]["/api/reports/summary"]["get"]["parameters"]
    assert {p["name"] for p in summary} == {"from", "to"}


@pytest.mark.parametrize(("body", "field"), [
    ({"at": 12345}, "at"), ({"from": 123}, "from"), ({"region": ["north", "east"]}, "region"),
    ({"language": "de"}, "language"), ({"rules": 3}, "rules"), ({"colour": "red"}, "colour"),
])
def test_explain_refuses_bad_types_with_the_field(client: FlaskClient, users: dict[str, int],
                                                 body: dict[str, Any], field: str) -> None:
    """These were 500s (#11): a number for the time or the caller, a list for the region."""
    resp = client.post("/api/admin/routing/explain", json=body, headers=auth("admin"))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    answer = resp.get_json()
    assert answer["error"].startswith(f"{field}: ") and field in answer["errors"]


@pytest.mark.parametrize(("query", "field"), [
    ("to=9999-12-31", "to"), ("from=0001-01-01", "from"), ("from=2026-02-30", "from"),
    ("from=2026-12-01&to=2026-11-01", "to"), ("from=2020-01-01&to=2026-01-01", "to"),
])
def test_report_periods_out_of_range_are_400_naming_the_field(
        client: FlaskClient, users: dict[str, int], query: str, field: str) -> None:
    """`to=9999-12-31` was a 500 (#11): the day after it does not exist."""
    for path in ("/api/reports/summary", "/api/reports/summary.csv", "/api/reports/needs"):
        resp = client.get(f"{path}?{query}", headers=auth("planner"))
        assert resp.status_code == 400, (path, resp.get_data(as_text=True))
        assert resp.get_json()["error"].startswith(f"{field}: ")


def test_bulletin_and_publish_bodies_name_the_field(client: FlaskClient, users: dict[str, int]) -> None:
    missing = client.post("/api/admin/bulletins", json={"title": "x"}, headers=auth("admin"))
    assert missing.status_code == 400 and set(missing.get_json()["errors"]) >= {"text_en", "text_fr"}
    wrong = client.put("/api/admin/bulletins/1", json={"regions": 5}, headers=auth("admin"))
    assert wrong.status_code == 400 and wrong.get_json()["error"].startswith("regions")
    note = client.post("/api/admin/routing/publish", json={"note": ["a"]}, headers=auth("admin"))
    assert note.status_code == 400 and note.get_json()["error"].startswith("note: ")
    audit = client.get("/api/admin/routing/audit?limit=0", headers=auth("admin"))
    assert audit.status_code == 400 and audit.get_json()["error"].startswith("limit: ")


def test_referral_body_names_the_field(app: Flask, client: FlaskClient, users: dict[str, int]) -> None:
    from accounts.models import User, token_digest

    db = app.extensions["db_sessionmaker"]()
    db.add(User(email="s2@example.org", name="S", role="specialist", password_hash="",
                api_token_digest=token_digest("s2-token")))
    db.commit()
    db.close()
    headers = {"Authorization": "Bearer s2-token"}
    resp = client.post("/api/directory/referrals", json={"call_sid": "CA1"}, headers=headers)
    assert resp.status_code == 400 and resp.get_json()["error"].startswith("service_id: ")
    resp = client.post("/api/directory/referrals", json={"call_sid": 7, "service_id": "x"},
                       headers=headers)
    assert resp.status_code == 400 and "call_sid" in resp.get_json()["errors"]
    seen = client.get("/api/directory/screen-pop?seen=-1", headers=headers)
    assert seen.status_code == 400 and seen.get_json()["error"].startswith("seen: ")


@pytest.mark.parametrize(("method", "path"), [
    ("put", "/api/admin/bulletins/17207857577734338651357184"),
    ("post", "/api/admin/routing/versions/2147483648/rollback"),
    ("get", "/api/admin/routing/versions/304250263527210"),
])
def test_an_id_no_row_can_have_is_not_found(client: FlaskClient, users: dict[str, int],
                                            method: str, path: str) -> None:
    """An id past the column type was a 500 (SQLite past 64 bits, PostgreSQL past `integer`;
    found by schemathesis): now 404."""
    resp = getattr(client, method)(path, json={}, headers=auth("admin"))
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert resp.get_json()["error"]
