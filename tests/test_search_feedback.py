"""The search feedback loop: failed searches counted by query text (never caller data), and
shown to admins only."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.feedback import NO_RESULTS, WRONG_RESULT, clean_query
from directory.models import SearchFeedback
from ivr.models import Specialist
from tests.directory_helpers import PASSWORD, add_user, small_directory

CALL_SID = "CA" + "0123456789abcdef" * 2


@pytest.fixture
def staff(app: Flask, db: Session) -> Session:
    db.add(Specialist(name="Sam", phone="+14165550199", provider="central", languages="en"))
    db.commit()
    add_user(db, "sam@example.org", "specialist", specialist_id=1)
    add_user(db, "ada@example.org", "admin")
    small_directory(app)
    return db


@pytest.fixture
def csrf_client(csrf_app: Flask) -> FlaskClient:
    """A client of the app with CSRF checks on, as in production."""
    return csrf_app.test_client()


def sign_in(client: FlaskClient, email: str) -> FlaskClient:
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    resp = client.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": token.group(1) if token else ""})
    assert resp.status_code == 302
    return client


def rows(db: Session) -> list[SearchFeedback]:
    db.expire_all()
    return list(db.scalars(select(SearchFeedback).order_by(SearchFeedback.id)))


def search(client: FlaskClient, **params: str) -> dict:
    resp = client.get("/api/directory/search", query_string=params)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_search_that_finds_nothing_is_counted(staff: Session, client: FlaskClient) -> None:
    sign_in(client, "sam@example.org")
    for typed in ("zqxv wrbl", "Zqxv   WRBL", "zqxv wrbl"):
        assert search(client, q=typed)["total"] == 0
    assert search(client, q="fod pantry")["total"] > 0  # found: not counted
    assert search(client, q="zq")["total"] == 0  # too short: a search being typed
    found = rows(staff)
    assert [(r.kind, r.query, r.count) for r in found] == [(NO_RESULTS, "zqxv wrbl", 3)]
    assert found[0].service_source == found[0].service_source_id == ""


def test_a_search_emptied_only_by_its_filters_is_not_counted(staff: Session,
                                                             client: FlaskClient) -> None:
    sign_in(client, "sam@example.org")
    assert search(client, q="fod pantry", taxonomy="ZZ-9999")["total"] == 0
    assert rows(staff) == []
    assert search(client, q="zqxv wrbl", taxonomy="ZZ-9999")["total"] == 0
    assert [r.query for r in rows(staff)] == ["zqxv wrbl"]


def mark(client: FlaskClient, body: dict, csrf: bool = True) -> tuple[int, dict]:
    headers = {}
    if csrf:
        page = client.get("/directory/lookup").get_data(as_text=True)
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        headers["X-CSRFToken"] = token
    resp = client.post("/api/directory/search-feedback", json=body, headers=headers)
    return resp.status_code, resp.get_json()


def test_a_result_marked_not_what_was_needed_is_counted(staff: Session,
                                                        csrf_client: FlaskClient) -> None:
    sign_in(csrf_client, "sam@example.org")
    body = {"query": "mortgage arrears", "service_id": "rent"}
    assert mark(csrf_client, body) == (201, {"counted": True})
    assert mark(csrf_client, {**body, "query": "Mortgage Arrears "})[0] == 201
    assert mark(csrf_client, {**body, "service_id": "pantry"})[0] == 201
    found = rows(staff)
    assert [(r.kind, r.query, r.service_source_id, r.count) for r in found] == [
        (WRONG_RESULT, "mortgage arrears", "rent", 2),
        (WRONG_RESULT, "mortgage arrears", "pantry", 1)]
    assert mark(csrf_client, body, csrf=False)[0] == 403
    assert mark(csrf_client, {**body, "service_id": "nope"})[0] == 404
    assert mark(csrf_client, {**body, "query": "ab"})[0] == 400
    assert rows(staff)[0].count == 2


def test_marking_needs_the_specialist_role(staff: Session, client: FlaskClient) -> None:
    add_user(staff, "pat@example.org", "planner")
    sign_in(client, "pat@example.org")
    resp = client.post("/api/directory/search-feedback",
                       json={"query": "mortgage arrears", "service_id": "rent"})
    assert resp.status_code == 403
    assert rows(staff) == []


def test_no_phone_number_or_call_id_is_stored(staff: Session,
                                              csrf_client: FlaskClient) -> None:
    sign_in(csrf_client, "sam@example.org")
    search(csrf_client, q=f"zqxv caller +1 (416) 555-0199 on {CALL_SID}")
    search(csrf_client, q="zqxv caller 4165550199 on " + CALL_SID.upper())
    body = {"query": "rent 416-555-0199", "service_id": "rent"}
    assert mark(csrf_client, {**body, "call_sid": CALL_SID})[0] == 400  # no call in the body
    assert mark(csrf_client, body)[0] == 201
    stored = [(r.query, r.service_source_id, r.count) for r in rows(staff)]
    assert stored == [("zqxv caller # on #", "", 2), ("rent #", "rent", 1)]
    text = repr([vars(r) for r in rows(staff)])
    for secret in ("555", "0199", "4165550199", CALL_SID, CALL_SID.upper(), "sam@"):
        assert secret not in text


@pytest.mark.parametrize(("typed", "kept"), [
    ("+1 416 555 0199 food", "# food"), ("(416) 555-0199", "#"), ("211 food", "211 food"),
    ("M5V 2T6 shelter", "m5v 2t6 shelter"),
    ("rent 2024-2025", "rent #"),  # seven digits or more are scrubbed, even a date
])
def test_clean_query_scrubs_phone_numbers_only(typed: str, kept: str) -> None:
    assert clean_query(typed) == kept


def test_admins_see_the_counts_and_specialists_do_not(staff: Session, client: FlaskClient,
                                                      csrf_client: FlaskClient) -> None:
    sign_in(csrf_client, "sam@example.org")
    search(csrf_client, q="safe house zqxv")
    search(csrf_client, q="safe house zqxv")
    assert mark(csrf_client, {"query": "mortgage arrears", "service_id": "rent"})[0] == 201
    assert csrf_client.get("/directory/admin/search-feedback").status_code == 403
    sign_in(client, "ada@example.org")
    page = client.get("/directory/admin/search-feedback")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html.split('id="feedback"')[1]
    assert table.index("safe house zqxv") < table.index("mortgage arrears")  # by count
    assert "<td>2</td>" in table and "<td>1</td>" in table
    assert "no results" in table and "marked wrong" in table
    day = rows(staff)[0].last_seen.strftime("%Y-%m-%d")
    assert day in table
    assert "Directory search feedback" in client.get("/").get_data(as_text=True)
