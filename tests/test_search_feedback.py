"""The search feedback loop: failed searches counted by query text (never caller data), and
shown to admins only."""

from __future__ import annotations

import html
import re
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from directory.feedback import NO_RESULTS, WRONG_RESULT, clean_query
from directory.models import SearchFeedback, SynonymVersion
from ivr.models import Specialist
from tests.directory_helpers import (
    PASSWORD,
    SEARCH_ENGINES,
    add_user,
    small_directory,
    with_engine,
)

CALL_SID = "CA" + "0123456789abcdef" * 2


@pytest.fixture(params=SEARCH_ENGINES)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every test here runs against the memory and the PostgreSQL search engine."""
    return with_engine(settings, request.param)


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
    # (the columns only: an object's repr carries its memory address, which may hold "555")
    text = repr([{k: v for k, v in vars(r).items() if not k.startswith("_")} for r in rows(staff)])
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
    table = page.get_data(as_text=True).split('id="feedback"')[1]
    assert table.index("safe house zqxv") < table.index("mortgage arrears")  # by count
    assert "<td>2</td>" in table and "<td>1</td>" in table
    assert "no results" in table and "marked wrong" in table
    day = rows(staff)[0].last_seen.strftime("%Y-%m-%d")
    assert day in table
    assert "Directory search feedback" in client.get("/").get_data(as_text=True)


def save_synonyms(client: FlaskClient, text: str) -> tuple[int, str]:
    page = client.get("/directory/admin/search-feedback").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    resp = client.post("/directory/admin/synonyms",
                       data={"text": text, "csrf_token": token.group(1) if token else ""})
    return resp.status_code, resp.get_data(as_text=True)


def wait_for_rebuilds() -> None:
    for thread in threading.enumerate():
        if thread.name == "search-index-refresh":
            thread.join(timeout=60)


def test_an_admins_synonym_is_searched_by_every_worker_without_a_restart(
        staff: Session, app: Flask, csrf_app: Flask) -> None:
    """Saved on one worker (the CSRF one), searched on both: each rebuilds its index in the
    background when the directory version moves."""
    specialist = sign_in(app.test_client(), "sam@example.org")
    admin = sign_in(csrf_app.test_client(), "ada@example.org")
    assert search(specialist, q="zqxv wrbl")["total"] == 0
    admin.get("/api/directory/search", query_string={"q": "zqxv wrbl"})  # this worker's index
    status, _ = save_synonyms(admin, "zqxv wrbl, safe house = BH-1800 | shelter")
    assert status == 302
    for client in (specialist, admin):  # answered from the index each had; rebuilt meanwhile
        search(client, q="zqxv wrbl")
        wait_for_rebuilds()
    for client in (specialist, admin):
        found = search(client, q="zqxv wrbl")["results"]
        assert found and found[0]["id"] == "shelter"
        assert any("means 'zqxv wrbl'" in why for why in found[0]["why"])
    version = staff.scalar(select(SynonymVersion))
    assert version is not None and version.number == 1 and version.saved_by == "ada@example.org"
    assert version.summary == "added: zqxv wrbl, safe house"
    assert version.entries == [{"phrases": ["zqxv wrbl", "safe house"], "taxonomy": ["BH-1800"],
                                "terms": ["shelter"]}]
    page = admin.get("/directory/admin/search-feedback").get_data(as_text=True)
    assert "zqxv wrbl, safe house = BH-1800 | shelter" in page  # the form shows what is live
    assert "added: zqxv wrbl, safe house" in page.split('id="synonym-versions"')[1]


@pytest.mark.parametrize(("text", "error"), [
    ("zqxv = ZZ-9999", "line 1: no service category has the code ZZ-9999"),
    ("# a comment\n = BD-1800", "line 2: no phrase"),
    ("zqxv wrbl", "line 1: say what the phrases mean"),
    ("zqxv = BD-1800\nZQXV = BH-1800", "line 2: 'ZQXV' is already on line 1"),
    ("zqxv = bd 1800", "line 1: 'BD 1800' is not a taxonomy code"),
])
def test_invalid_synonyms_are_refused_with_the_line_and_nothing_changes(
        staff: Session, csrf_client: FlaskClient, text: str, error: str) -> None:
    sign_in(csrf_client, "ada@example.org")
    status, page = save_synonyms(csrf_client, text)
    assert status == 422
    assert error in html.unescape(page)
    assert staff.scalar(select(SynonymVersion)) is None


def test_a_specialist_cannot_edit_synonyms(staff: Session, csrf_client: FlaskClient) -> None:
    sign_in(csrf_client, "sam@example.org")
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      csrf_client.get("/directory/lookup").get_data(as_text=True))
    assert token
    resp = csrf_client.post("/directory/admin/synonyms",
                            data={"text": "zqxv = BD-1800", "csrf_token": token.group(1)})
    assert resp.status_code == 403
    assert staff.scalar(select(SynonymVersion)) is None


def test_saving_without_the_csrf_token_is_refused(staff: Session,
                                                  csrf_client: FlaskClient) -> None:
    sign_in(csrf_client, "ada@example.org")
    resp = csrf_client.post("/directory/admin/synonyms", data={"text": "zqxv = BD-1800"})
    assert resp.status_code in (400, 403)
    assert staff.scalar(select(SynonymVersion)) is None
