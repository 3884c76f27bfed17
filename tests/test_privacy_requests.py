"""Callers' access requests: `flask privacy export` and `erase` find a number's data through its
pseudonyms, and erasure leaves the figures but nothing that links them to the person."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import CallRecord
from ivr.simulator.cli import SimClock
from privacy.models import PrivacyRequest
from survey.models import FollowUpContact, SurveyAnswer
from tests.calls import add_specialists, place_call
from tests.conftest import TORONTO, _app_for

CALLER, OTHER = "+18075550123", "+18075550199"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No webhook time budget: three whole calls with slow pseudonym hashes must not lose an
    answer to the budget's fallback on a loaded machine (what is tested is the data)."""
    return replace(settings, webhook_budget_seconds=0)


def two_calls_and_a_stranger(app: Flask, clock: SimClock, db: Session) -> None:
    """The caller calls twice, 40 days apart (two pseudonym periods), and consents to a
    follow-up the second time; someone else calls too."""
    add_specialists(db)
    place_call(app, clock, CALLER, ["1", "1", "5", "1", "1", "3"], specialist=DEMO_SPECIALISTS["north"])
    clock.set(clock.current + timedelta(days=40))
    place_call(app, clock, CALLER, ["1", "1", "4", "1", "1", "1"], specialist=DEMO_SPECIALISTS["north"])
    place_call(app, clock, OTHER, ["1", "1", "3", "1", "1", "1"], specialist=DEMO_SPECIALISTS["north"])


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["privacy", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_export_finds_every_call_of_the_number_across_periods(app: Flask, clock: SimClock,
                                                              db: Session) -> None:
    two_calls_and_a_stranger(app, clock, db)
    hashes = {h for h in db.scalars(select(CallRecord.caller_hash)) if h}
    assert len(hashes) == 3  # two periods for the caller, one for the other number
    body = json.loads(run(app, "export", "--number", "(807) 555-0123", "--by", "privacy officer",
                          "--reference", "REQ-7"))
    assert len(body["calls"]) == 2 and {c["region"] for c in body["calls"]} == {"north"}
    assert [c["channel"] for c in body["follow_up_contacts"]] == ["call"]
    assert body["follow_up_contacts"][0]["number_held"] is True
    assert {a["question"] for a in body["survey_answers"]} >= {"satisfaction", "consent"}
    assert len({a["call_sid"] for a in body["survey_answers"]}) == 2
    assert CALLER not in json.dumps(body) and not (hashes & set(json.dumps(body).split('"')))
    [entry] = db.scalars(select(PrivacyRequest)).all()
    assert (entry.kind, entry.operator, entry.reference) == ("export", "privacy officer", "REQ-7")
    assert entry.found["calls"] == 2 and CALLER not in json.dumps(entry.found)


def test_erase_keeps_the_counts_and_nothing_that_links_them(app: Flask, clock: SimClock,
                                                           db: Session) -> None:
    two_calls_and_a_stranger(app, clock, db)
    answers_before = db.scalar(select(func.count()).select_from(SurveyAnswer))
    mine = {c.call_sid for c in db.scalars(select(CallRecord).where(CallRecord.caller_hash.is_not(None)))}
    out = run(app, "erase", "--number", CALLER, "--yes", "--by", "officer")
    assert "2 calls" in out and "1 follow up contacts" in out
    db.expire_all()
    calls = db.scalars(select(CallRecord)).all()
    assert len(calls) == 3  # the figures stay
    assert sum(1 for c in calls if c.caller_hash is None) == 2
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == answers_before
    linked = set(db.scalars(select(SurveyAnswer.call_sid)))
    assert len(linked & mine) == 1  # only the other caller's call still has its answers linked
    assert sum(1 for sid in linked if sid.startswith("erased-")) == 2  # one fresh id per call
    contacts = db.scalars(select(FollowUpContact)).all()
    assert [c.phone for c in contacts] == [OTHER]  # the caller's follow-up is gone
    again = json.loads(run(app, "export", "--number", CALLER))
    assert again == {"calls": [], "follow_up_contacts": [], "survey_answers": [], "referrals": [],
                     "contact_records": [], "callbacks": [], "interpreter_sessions": [],
                     "transfers": []}
    assert [e.kind for e in db.scalars(select(PrivacyRequest).order_by(PrivacyRequest.id))] == [
        "erase", "export"]


def test_erase_asks_for_confirmation(app: Flask, clock: SimClock, db: Session) -> None:
    two_calls_and_a_stranger(app, clock, db)
    result = app.test_cli_runner().invoke(args=["privacy", "erase", "--number", CALLER], input="n\n")
    assert result.exit_code == 1
    db.expire_all()
    assert sum(1 for h in db.scalars(select(CallRecord.caller_hash)) if h) == 3
    assert db.scalars(select(PrivacyRequest)).all() == []


def test_the_purge_runs_from_the_cli_without_redis(app: Flask, clock: SimClock, db: Session,
                                                   settings: Any, store: Any) -> None:
    """The 30-day erasure of follow-up numbers needs no Redis: cron runs `flask privacy purge`
    (here on an app whose Redis is a closed port)."""
    two_calls_and_a_stranger(app, clock, db)
    clock.set(datetime(2027, 3, 1, 12, 0, tzinfo=TORONTO))
    dead = replace(settings, redis_url="redis://127.0.0.1:1/0")
    for cron_app in _app_for(dead, store, clock):
        result = cron_app.test_cli_runner().invoke(args=["privacy", "purge"])
        assert result.exit_code == 0, result.output
        assert "erased 2 phone number(s)" in result.output
    db.expire_all()
    assert all(c.phone is None and c.phone_hash is None for c in db.scalars(select(FollowUpContact)))
