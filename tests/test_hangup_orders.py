"""Ending a bridged call, in each order Twilio allows: the specialist presses * (the Dial's
hangupOnStar), the specialist hangs up the phone, the caller hangs up. Whoever ends it, the
caller goes on to the survey if still on the line, and the specialist, if still on the line,
to "press 1 for the next caller"; the talk time is the bridge's own length."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from ivr.calls import figures
from ivr.cli import DEMO_SPECIALISTS
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import CALLER, PHONE, STAR
from tests.calls import add_specialists, only_record, place_call

NORTH = DEMO_SPECIALISTS["north"]
SURVEY = "How satisfied are you"
NEXT_CALLER = "Press 1 to take the next caller"


@pytest.fixture(autouse=True)
def _specialists(db: Session) -> None:
    add_specialists(db)


def after_bridge(text: str) -> str:
    return text.split("the specialist is on the line with the caller", 1)[1]


def test_specialist_ends_with_star_caller_gets_survey_specialist_next_caller(
        app: Flask, clock: SimClock, db: Session) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1", "5", "1", "1", "3"],
                      specialist=NORTH, talk=240, ends=STAR)
    text = after_bridge(call.transcript.render())
    assert "the specialist hangs up with *" in text
    assert SURVEY in text and "Thank you for your answers" in text  # the caller's leg
    assert NEXT_CALLER in text and "specialist         presses 1" in text  # the specialist's
    assert "No callers are waiting in your queue" in text  # back on the queue, signed in
    record = only_record(db)
    # the survey took minutes after the bridge: the talk time is the bridge's, not the call's
    assert record.talk_seconds == 240
    with app.app_context():
        assert figures().snapshot("north", clock.current.timestamp()).handle_time == 240


def test_caller_hangs_up_first_specialist_gets_next_caller(app: Flask, clock: SimClock,
                                                          db: Session) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1"], specialist=NORTH, talk=200,
                      ends=CALLER)
    text = after_bridge(call.transcript.render())
    assert "the caller hangs up" in text
    assert SURVEY not in text  # nobody is on the caller's leg to hear it
    assert NEXT_CALLER in text and "No callers are waiting in your queue" in text
    record = only_record(db)
    assert (record.result, record.talk_seconds) == ("answered", 200)


def test_specialist_hangs_up_the_phone_caller_still_gets_survey(app: Flask, clock: SimClock,
                                                               db: Session) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1", "5", "1", "1", "3"],
                      specialist=NORTH, talk=150, ends=PHONE)
    text = after_bridge(call.transcript.render())
    assert SURVEY in text and NEXT_CALLER not in text
    assert only_record(db).talk_seconds == 150
    with app.app_context():  # the specialist's line ended: signed out
        assert figures().snapshot("north", clock.current.timestamp()).specialists == 0


def test_the_dial_lets_the_specialist_end_with_star(twilio) -> None:  # type: ignore[no-untyped-def]
    from tests.twilio_helpers import twiml

    with twilio.client.application.app_context():  # a caller waiting, for the specialist to take
        figures().caller_enqueued("north", "CAwaiting", 1.0)
    root = twiml(twilio.post("/agent/incoming", CallSid="CAa", From=NORTH))
    dial = root.find("Dial")
    assert dial is not None and dial.get("hangupOnStar") == "true"
    room = dial.find("Conference")
    assert room is not None and room.text == "call-CAwaiting"
    assert room.get("endConferenceOnExit") == "true"  # the specialist leaving ends the call
