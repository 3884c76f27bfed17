"""Holding: the caller leaves on time (not a music track late), hears only estimates the
figures support, and a call nobody answers reaches the staffed fallback line."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from config.settings import Settings
from ivr.cli import DEMO_SPECIALISTS
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import Exchange
from tests.calls import add_specialists, only_record, place_call
from tests.twilio_helpers import SignedClient, spoken, twiml

CENTRAL_EAST_CALLER = "+17057260123"  # Central East: max wait 600 s, overflow to Central
FALLBACK = "+14165550100"
LONG_TRACK = 150.0  # a hold clip longer than the margin the caller may overshoot by


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, hold_music_seconds=int(LONG_TRACK))


def queue_times(call: Exchange) -> list[tuple[str, float]]:
    """(event, seconds into the call) for each join and leave of a queue."""
    return [(line.text, line.t) for line in call.transcript.lines if line.who == "queue"]


def test_caller_leaves_within_thirty_seconds_of_the_max_wait(app: Flask, clock: SimClock,
                                                            db: Session) -> None:
    add_specialists(db)
    call = place_call(app, clock, CENTRAL_EAST_CALLER, ["1", "1"],
                      specialist=DEMO_SPECIALISTS["central"], answer_after=900,
                      play_seconds=LONG_TRACK)
    events = queue_times(call)
    joined = next(t for text, t in events if "joins queue 211-central-east" in text)
    left = next(t for text, t in events if "leaves queue 211-central-east" in text)
    assert 600 <= left - joined <= 630, events  # a whole 150 s track would overshoot
    assert only_record(db).provider == "central"


def test_nobody_answers_the_call_reaches_the_staffed_fallback_line(app: Flask, clock: SimClock,
                                                                   db: Session) -> None:
    call = place_call(app, clock, CENTRAL_EAST_CALLER, ["1", "1"], specialist=None,
                      play_seconds=LONG_TRACK)
    text = call.transcript.render()
    events = queue_times(call)
    assert [e for e, _ in events if "leaves" in e] == ["caller leaves queue 211-central-east",
                                                      "caller leaves queue 211-central"]
    assert f"transfers the call to {FALLBACK}" in text
    first_join = events[0][1]
    transferred = next(line.t for line in call.transcript.lines if FALLBACK in line.text)
    # each queue holds the caller at most its max wait (600 s, the deployment's longest)
    assert transferred - first_join <= 2 * 600 + 2 * 30 + 60, events
    # nobody was signed in: no made-up "expected wait" was ever announced
    hold = call.transcript.said("hold")
    assert hold and not any("expected wait" in s or "less than a minute" in s for s in hold)
    assert any("please stay on the line" in s for s in hold)
    record = only_record(db)
    assert (record.overflowed, record.result) == (True, "transferred")


@pytest.mark.parametrize(("query", "words"), [
    ("l=fr&r=east&n=housing&p=east", "Merci de patienter"),
    ("l=en&i=pa&r=central&p=central", "ਕਿਰਪਾ"),  # an interpreter caller: held in Punjabi
])
def test_a_failed_hold_step_reassures_in_the_callers_language(
        twilio: SignedClient, monkeypatch: pytest.MonkeyPatch, query: str, words: str) -> None:
    """The hold step's fallback (a failure, an overrun, a shed request) answers from the
    request alone: the waitUrl carries the caller's language, so a French caller is not
    told in English to stay on the line."""

    def broken(*_: object) -> None:
        raise RuntimeError("the hold step broke")

    monkeypatch.setattr("ivr.voice.load_call", broken)
    root = twiml(twilio.post(f"/voice/hold?{query}&ap=east", CallSid="CAheld",
                             From="+16135550123", QueuePosition="2", QueueTime="30"))
    assert words in spoken(root), spoken(root)
    assert root.find("Play") is not None
