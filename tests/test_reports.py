"""The report's numbers against a fixture whose answers are known (expected values by hand)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from itertools import count
from typing import TypedDict

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from directory.models import Referral, Service
from ivr.models import CallRecord
from survey.models import SurveyAnswer
from survey.reports.build import full_report
from survey.reports.period import Period
from survey.reports.stats import wilson
from tests.conftest import TORONTO

PERIOD = Period(date(2026, 11, 1), date(2026, 12, 31), "America/Toronto")
_ids = count(1)


class Where(TypedDict):
    """The keyword arguments a group of answers shares."""

    region: str
    language: str
    day: date


def answer(db: Session, question: str, value: str | None, positive: bool | None, *,
           region: str, language: str, day: date, survey: str = "post_call",
           version: str = "2026.1") -> None:
    db.add(SurveyAnswer(
        call_sid=f"CA{next(_ids)}", survey=survey, definition_version=version, question=question,
        value=value, positive=positive, answered_at=datetime(2026, 11, 2, tzinfo=UTC),
        channel="voice", call_date=day, month=day.strftime("%Y-%m"), language=language,
        region=region, provider=region))


def survey_fixture(db: Session) -> None:
    north: Where = {"region": "north", "language": "en", "day": date(2026, 11, 10)}
    east: Where = {"region": "east", "language": "fr", "day": date(2026, 12, 5)}
    for value in ["5"] * 8 + ["4", "3"]:  # 8 of 10 very satisfied
        answer(db, "satisfaction", value, value == "5", **north)
    answer(db, "satisfaction", "5", True, version="2025.1", **east)  # an older wording
    answer(db, "satisfaction", "2", False, **east)
    answer(db, "satisfaction", None, None, **north)  # skipped: not in the denominator
    for value in ("yes", "yes", "yes", "no"):
        answer(db, "call_again", value, value == "yes", **north)
    for value, positive in (("yes", True), ("some", True), ("no", False), ("no", False)):
        answer(db, "followed_up", value, positive, survey="outcome", **north)
    answer(db, "better_prepared", "yes", True, **east)
    answer(db, "consent", "call", True, **north)  # not a reported figure
    answer(db, "satisfaction", "1", False, region="north", language="en",
           day=date(2026, 10, 31))  # before the period


def call(db: Session, started: datetime, region: str, need: str, result: str,
         queue: int | None = None, talk: int | None = None, overflowed: bool = False,
         language: str = "en") -> str:
    sid = f"CA-call-{next(_ids)}"
    db.add(CallRecord(call_sid=sid, started_at=started, region=region, provider=region, need=need,
                      result=result, queue_seconds=queue, talk_seconds=talk, overflowed=overflowed,
                      language=language))
    return sid


def calls_fixture(db: Session) -> None:
    noon = datetime(2026, 11, 10, 17, 0, tzinfo=UTC)
    a = call(db, noon, "north", "food", "answered", 30, 100)
    call(db, noon, "north", "food", "answered", 90, 200, overflowed=True)
    call(db, noon, "north", "housing", "abandoned", 120)
    call(db, noon, "north", "income", "ivr_abandoned")
    call(db, noon, "north", "health", "answered", 60, 300)
    # 23:30 on 30 Nov in Toronto is December in UTC: it belongs to November
    x = call(db, datetime(2026, 11, 30, 23, 30, tzinfo=TORONTO), "east", "food", "answered", 10,
             50, language="fr")
    call(db, datetime(2026, 12, 1, 0, 30, tzinfo=TORONTO), "east", "food", "answered", 20, 70,
         language="fr")
    # 23:30 on 31 Oct in Toronto is 1 Nov in UTC: outside the period
    call(db, datetime(2026, 10, 31, 23, 30, tzinfo=TORONTO), "east", "legal", "answered", 5, 5)
    service = Service(source="test", source_id="s1", name="Food bank")
    db.add(service)
    db.flush()
    for sid in (a, a, x):  # two referrals on one call count once
        db.add(Referral(call_sid=sid, service_id=service.id, need="food",
                        created_at=datetime(2026, 11, 10, tzinfo=UTC)))


@pytest.fixture
def report(app: Flask, db: Session) -> dict:
    survey_fixture(db)
    calls_fixture(db)
    db.commit()
    return full_report(db, PERIOD)


def group(report: dict, dimension: str, key: str) -> dict:
    [found] = [g for g in report["breakdowns"][dimension] if g["key"] == key]
    return found


def test_wilson_interval_matches_published_values() -> None:
    interval = wilson(8, 10)  # the textbook 8/10: 0.490 to 0.943
    assert interval is not None
    low, high = interval
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson(0, 0) is None


def test_five_figures_overall(report: dict) -> None:
    figures = group(report, "overall", "all")["figures"]
    # 9 of 12 very satisfied: 75.0%, Wilson [46.8, 91.1]; one skip
    assert figures["very_satisfied"] == {"positive": 9, "answered": 12, "pct": 75.0,
                                         "ci_low": 46.8, "ci_high": 91.1, "skipped": 1}
    assert figures["would_call_again"]["pct"] == 75.0
    assert (figures["followed_up"]["positive"], figures["followed_up"]["answered"]) == (2, 4)
    # 1 of 1: 100%, Wilson [20.7, 100.0]
    assert figures["better_prepared"] == {"positive": 1, "answered": 1, "pct": 100.0,
                                          "ci_low": 20.7, "ci_high": 100.0, "skipped": 0}
    assert figures["health_improved"]["pct"] is None


def test_five_figures_by_region_language_month(report: dict) -> None:
    north = group(report, "region", "north")["figures"]
    assert (north["very_satisfied"]["pct"], north["very_satisfied"]["ci_low"],
            north["very_satisfied"]["ci_high"]) == (80.0, 49.0, 94.3)
    east = group(report, "region", "east")["figures"]["very_satisfied"]
    assert (east["pct"], east["ci_low"], east["ci_high"]) == (50.0, 9.5, 90.5)
    assert group(report, "language", "fr")["figures"]["very_satisfied"]["answered"] == 2
    assert group(report, "provider", "north")["figures"]["would_call_again"]["answered"] == 4
    assert group(report, "month", "2026-12")["figures"]["better_prepared"]["positive"] == 1
    assert report["definition_versions"] == [
        {"survey": "outcome", "version": "2026.1", "answers": 4},
        {"survey": "post_call", "version": "2025.1", "answers": 1},
        {"survey": "post_call", "version": "2026.1", "answers": 18},
    ]


def test_call_figures(report: dict) -> None:
    north = group(report, "region", "north")["calls"]
    assert north == {
        "calls": 5, "answered": 3, "abandoned": 1, "ivr_abandoned": 1, "offered_to_queue": 4,
        "avg_speed_of_answer_s": 60.0, "avg_talk_s": 200.0, "answered_within_60s_pct": 50.0,
        "abandonment_rate_pct": 25.0, "overflow_rate_pct": 25.0,
    }
    overall = group(report, "overall", "all")["calls"]
    assert (overall["calls"], overall["answered"], overall["avg_speed_of_answer_s"]) == (7, 5, 42.0)
    assert group(report, "month", "2026-11")["calls"]["calls"] == 6
    assert group(report, "month", "2026-12")["calls"]["calls"] == 1
    assert group(report, "language", "fr")["calls"]["answered_within_60s_pct"] == 100.0


def test_top_needs_and_needs_without_referral(report: dict) -> None:
    assert report["top_needs_by_region"] == {
        "east": [{"need": "food", "calls": 2}],
        "north": [{"need": "food", "calls": 2}, {"need": "health", "calls": 1},
                  {"need": "housing", "calls": 1}, {"need": "income", "calls": 1}],
    }
    assert report["needs_without_referral"] == [
        {"need": "food", "answered_calls": 4, "no_referral": 2, "no_referral_pct": 50.0},
        {"need": "health", "answered_calls": 1, "no_referral": 1, "no_referral_pct": 100.0},
    ]
    json.dumps(report)  # plain JSON all the way down
