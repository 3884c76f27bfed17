"""The needs report's calls section (#12): crisis calls, hold time, interpreter minutes and
transfers, by region and period, against a fixture made through ivr.call_extras whose
figures are worked out by hand; JSON, open data, CSV, the dashboard, and privacy requests."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr import call_extras
from ivr.models import CallRecord, CallTransfer
from ivr.simulator.cli import SimClock
from tests.contact_helpers import token_for

RANGE = "from=2026-11-01&to=2026-12-31"
NOV = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def call(db: Session, sid: str, region: str, answered: bool, at: datetime = NOV,
         caller_hash: str | None = None) -> None:
    db.add(CallRecord(call_sid=sid, started_at=at, region=region, caller_hash=caller_hash,
                      answered_at=at + timedelta(minutes=1) if answered else None,
                      result="answered" if answered else "abandoned"))
    db.commit()


def interpreter(sid: str, vendor: str, language: str, minutes: float) -> None:
    call_extras.interpreter_joined(sid, vendor, language, NOV)
    call_extras.interpreter_left(sid, NOV + timedelta(minutes=minutes))


def transfer(sid: str, kind: str, target_kind: str, target: str, outcome: str | None,
             after: int = 0) -> None:
    at = NOV + timedelta(minutes=2 + after)
    call_extras.transfer_started(sid, kind, target_kind, target, at)
    if outcome:
        call_extras.transfer_ended(sid, outcome, at + timedelta(seconds=40))


def calls_fixture(app: Flask, db: Session) -> None:
    """Five calls in the period (north: CA1, CA2; east: CA3, CA4, CA5), one before it."""
    for sid, region, answered in (("CA1", "north", True), ("CA2", "north", True),
                                  ("CA3", "east", False), ("CA4", "east", True),
                                  ("CA5", "east", True)):
        call(db, sid, region, answered)
    call(db, "CAold", "north", True, at=datetime(2026, 9, 5, 15, 0, tzinfo=UTC))
    with app.app_context():
        call_extras.record_hold("CA1", 30)
        call_extras.record_hold("CA1", 50)
        call_extras.record_hold("CA4", 60)
        call_extras.record_hold("CAold", 100)
        call_extras.mark_crisis("CA2", "specialist")
        call_extras.mark_crisis("CA3", "menu")
        call_extras.mark_crisis("CAold", "menu")
        interpreter("CA1", "voxbridge", "pa", 10)
        interpreter("CA4", "parlons", "pa", 5)
        interpreter("CAold", "voxbridge", "pa", 20)
        call_extras.interpreter_joined("CA4", "voxbridge", "ur", NOV + timedelta(minutes=20))
        call_extras.interpreter_left("CA4", NOV + timedelta(minutes=23, seconds=30))
        transfer("CA1", "warm", "line", "kids_help_phone", "answered")
        transfer("CA2", "warm", "crisis", "988", "no-answer")
        transfer("CA2", "cold", "crisis", "988", "answered", after=1)
        transfer("CA3", "cold", "crisis", "988", "answered")
        transfer("CA5", "warm", "number", "+14165550199", None)  # still ringing
        transfer("CAold", "cold", "crisis", "988", "answered")


def report(app: Flask, client: FlaskClient, query: str = RANGE,
           path: str = "/api/reports/needs") -> Any:
    resp = client.get(f"{path}?{query}", headers=token_for(app, "pat@example.org", "planner"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


OUTCOMES = {"answered": 0, "no-answer": 0, "busy": 0, "failed": 0, "canceled": 0, "pending": 0}


def test_the_calls_section_adds_up(app: Flask, client: FlaskClient, db: Session) -> None:
    calls_fixture(app, db)
    got = report(app, client)["calls"]
    assert got["totals"] == {"calls": 5, "answered": 4, "crisis": 2, "hold_seconds": 140,
                             "mean_hold_s": 35.0, "interpreter_sessions": 3,
                             "interpreter_minutes": 18.5, "transfers": 5}
    assert got["crisis_by_via"] == {"menu": 1, "specialist": 1}
    assert got["interpreters_by_language"] == [
        {"language": "pa", "name": "Punjabi", "sessions": 2, "minutes": 15.0,
         "by_vendor": {"parlons": {"sessions": 1, "minutes": 5.0},
                       "voxbridge": {"sessions": 1, "minutes": 10.0}}},
        {"language": "ur", "name": "Urdu", "sessions": 1, "minutes": 3.5,
         "by_vendor": {"voxbridge": {"sessions": 1, "minutes": 3.5}}}]
    assert got["transfers"] == [
        {"kind": "cold", "target_kind": "crisis", "target": "988", "transfers": 2,
         "outcomes": {**OUTCOMES, "answered": 2}},
        {"kind": "warm", "target_kind": "crisis", "target": "988", "transfers": 1,
         "outcomes": {**OUTCOMES, "no-answer": 1}},
        {"kind": "warm", "target_kind": "line", "target": "kids_help_phone", "transfers": 1,
         "outcomes": {**OUTCOMES, "answered": 1}},
        {"kind": "warm", "target_kind": "number", "target": "+14165550199", "transfers": 1,
         "outcomes": {**OUTCOMES, "pending": 1}}]
    assert got["by_region"] == [
        {"region": "east", "calls": 3, "answered": 2, "crisis": 1, "hold_seconds": 60,
         "interpreter_sessions": 2, "interpreter_minutes": 8.5, "transfers": 2,
         "mean_hold_s": 30.0},
        {"region": "north", "calls": 2, "answered": 2, "crisis": 1, "hold_seconds": 80,
         "interpreter_sessions": 1, "interpreter_minutes": 10.0, "transfers": 3,
         "mean_hold_s": 40.0}]


def test_the_calls_section_follows_the_region_and_the_period(
        app: Flask, client: FlaskClient, db: Session) -> None:
    calls_fixture(app, db)
    north = report(app, client, f"{RANGE}&region=north")["calls"]
    assert (north["totals"]["calls"], north["totals"]["crisis"], north["totals"]["transfers"]) \
        == (2, 1, 3)
    assert [r["region"] for r in north["by_region"]] == ["north"]
    september = report(app, client, "from=2026-09-01&to=2026-09-30")["calls"]
    assert september["totals"] == {"calls": 1, "answered": 1, "crisis": 1, "hold_seconds": 100,
                                   "mean_hold_s": 100.0, "interpreter_sessions": 1,
                                   "interpreter_minutes": 20.0, "transfers": 1}
    assert september["crisis_by_via"] == {"menu": 1, "specialist": 0}


def test_open_data_withholds_small_call_figures(
        app: Flask, client: FlaskClient, db: Session) -> None:
    calls_fixture(app, db)
    got = report(app, client, path="/api/reports/needs/open-data.json")["calls"]
    assert got["totals"]["calls"] == 5 and got["totals"]["crisis"] is None
    assert got["totals"]["interpreter_sessions"] is None
    assert got["totals"]["interpreter_minutes"] is None  # withheld with its sessions
    east = got["by_region"][0]
    assert (east["answered"], east["mean_hold_s"], east["hold_seconds"]) == (None, None, 60)
    pa = got["interpreters_by_language"][0]
    assert (pa["sessions"], pa["minutes"]) == (None, None)


def test_the_csv_carries_the_calls_section(app: Flask, client: FlaskClient, db: Session) -> None:
    calls_fixture(app, db)
    resp = client.get(f"/api/reports/needs.csv?{RANGE}",
                      headers=token_for(app, "pat@example.org", "planner"))
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    cell = {(r["section"], r["key"], r["measure"]): r["value"] for r in rows}
    assert cell[("calls", "all", "crisis")] == "2"
    assert cell[("calls_crisis", "all", "crisis_by_via:menu")] == "1"
    assert cell[("calls_interpreters", "pa:voxbridge", "minutes")] == "10.0"
    assert cell[("calls_transfers", "cold:crisis:988", "outcomes:answered")] == "2"
    assert cell[("calls_by_region", "north", "mean_hold_s")] == "40.0"
    assert not any(r["measure"] in ("kind", "target", "language") for r in rows)


def test_the_dashboard_shows_the_calls(app: Flask, client: FlaskClient, db: Session) -> None:
    from tests.directory_helpers import PASSWORD, add_user

    calls_fixture(app, db)
    add_user(db, "pat@example.org", "planner")
    client.post("/login", data={"email": "pat@example.org", "password": PASSWORD})
    page = client.get(f"/needs/reports/?{RANGE}").get_data(as_text=True)
    assert 'id="calls"' in page and "<strong>2</strong> crisis calls (menu 1, specialist 1)" in page
    assert "35.0 s per answered call" in page and "18.5 interpreter minutes" in page
    assert "Punjabi" in page and "kids_help_phone" in page and "no-answer 1" in page


# -- privacy: `flask privacy export/erase` --------------------------------------------------


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["privacy", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_privacy_export_and_erase_cover_the_call_extras(
        app: Flask, clock: SimClock, db: Session) -> None:
    number = "+18075550123"
    with app.app_context():
        digest = app.extensions["caller_hasher"].digest(number, clock.current)
    call(db, "CAmine", "north", True, at=clock.current, caller_hash=digest)
    call(db, "CAtheirs", "north", True, at=clock.current)
    with app.app_context():
        call_extras.mark_crisis("CAmine", "specialist")
        interpreter("CAmine", "voxbridge", "pa", 4)
        transfer("CAmine", "warm", "number", "+14165550199", "answered")
        transfer("CAmine", "cold", "line", "awhl", "answered", after=1)
        transfer("CAtheirs", "warm", "number", "+14165550177", "answered")
    body = json.loads(run(app, "export", "--number", number))
    [mine] = body["calls"]
    assert (mine["crisis"], mine["crisis_via"], mine["hold_seconds"]) == (True, "specialist", 0)
    assert [(i["language"], i["minutes"]) for i in body["interpreter_sessions"]] == [("pa", 4.0)]
    assert [t["target"] for t in body["transfers"]] == ["+14165550199", "awhl"]
    out = run(app, "erase", "--number", number, "--yes", "--by", "officer")
    assert "2 transfers" in out and "1 interpreter sessions" in out
    db.expire_all()
    targets = {(t.call_sid, t.target) for t in db.scalars(select(CallTransfer))}
    assert targets == {("CAmine", "erased"), ("CAmine", "awhl"), ("CAtheirs", "+14165550177")}
