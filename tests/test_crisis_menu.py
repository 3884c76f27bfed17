"""The need menu's crisis option (#12): key 8 (or "crisis", "suicide", "crise") puts the
caller through to the crisis line; a line that does not answer brings them at once to their
region's specialist. Whole calls through the simulator, as Twilio drives them."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.cli import DEMO_SPECIALISTS
from ivr.matching import match_crisis
from ivr.models import CallTransfer
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import Exchange
from tests.calls import add_specialists, only_record, place_call
from tests.test_admin_routing_api import add_users
from tests.test_disaster_mode import ON, turn
from tests.twilio_helpers import SignedClient, spoken, twiml, verbs

NORTH = DEMO_SPECIALISTS["north"]
CALLER = "+18075550123"  # area code 807: region north from caller ID
CRISIS_LINE = "988"


@pytest.fixture(autouse=True)
def _specialists(db: Session) -> None:
    add_specialists(db)


def transfers(db: Session) -> list[tuple[str, str, str, str | None]]:
    return [(t.kind, t.target_kind, t.target, t.outcome)
            for t in db.scalars(select(CallTransfer).order_by(CallTransfer.at))]


def said_to_caller(call: Exchange) -> list[str]:
    return [line.text for line in call.transcript.lines if line.who.startswith("211 [")]


@pytest.mark.parametrize(("inputs", "offer", "connecting"), [
    (["1", "8"], "If you are in crisis or thinking of suicide, press 8",
     "connecting you now with 9-8-8"),
    (["2", "say:je pense au suicide"], "Si vous êtes en crise", "en lien avec le 9-8-8"),
])
def test_the_crisis_line_answers_and_the_call_ends_with_it(
        app: Flask, clock: SimClock, db: Session, inputs: list[str], offer: str,
        connecting: str) -> None:
    call = place_call(app, clock, CALLER, inputs, specialist=NORTH)
    said = said_to_caller(call)
    menu = next(i for i, text in enumerate(said) if offer in text)
    assert "press 1" in said[menu + 1] or "appuyez sur le 1" in said[menu + 1]  # then the needs
    assert any(connecting in text for text in said[menu:])
    assert f"transfers the call to {CRISIS_LINE}" in call.transcript.said("211")
    assert not call.transcript.said("to specialist")  # nobody else took the call
    record = only_record(db)
    assert (record.crisis, record.crisis_via, record.result) == (True, "menu", "transferred")
    assert record.ended_at is not None and record.need is None
    assert transfers(db) == [("cold", "crisis", CRISIS_LINE, "answered")]


@pytest.mark.parametrize(("inputs", "told"), [
    (["1", "8"], "could not reach the crisis line"),
    (["2", "8"], "pas pu joindre la ligne de crise"),
])
def test_a_crisis_line_that_does_not_answer_brings_a_specialist_at_once(
        app: Flask, clock: SimClock, db: Session, inputs: list[str], told: str) -> None:
    call = place_call(app, clock, CALLER, inputs, specialist=NORTH,
                      unanswered=frozenset({CRISIS_LINE}))
    text = call.transcript.render()
    assert f"{CRISIS_LINE} does not answer" in text
    after = text.split("does not answer", 1)[1]
    assert told in after and "the specialist is on the line" in after
    record = only_record(db)
    assert (record.crisis, record.crisis_via) == (True, "menu")
    assert (record.result, record.provider, record.need) == ("answered", "north", "other")
    assert record.language == inputs_language(inputs)
    assert transfers(db) == [("cold", "crisis", CRISIS_LINE, "no-answer")]


def inputs_language(inputs: list[str]) -> str:
    return "fr" if inputs[0] == "2" else "en"


def test_the_crisis_number_is_a_setting(app: Flask, clock: SimClock, db: Session) -> None:
    app.extensions["settings"] = dataclasses.replace(app.extensions["settings"],
                                                     crisis_line_number="+18334564566")
    call = place_call(app, clock, CALLER, ["1", "8"], specialist=NORTH)
    assert "transfers the call to +18334564566" in call.transcript.said("211")
    assert transfers(db) == [("cold", "crisis", "+18334564566", "answered")]


def test_disaster_mode_keeps_9_for_information_and_8_for_crisis(
        app: Flask, client: FlaskClient, clock: SimClock, db: Session) -> None:
    add_users(db)
    db.commit()
    turn(client, ON)
    crisis = place_call(app, clock, CALLER, ["1", "8"], specialist=NORTH)
    said = said_to_caller(crisis)
    offer = next(i for i, text in enumerate(said) if "press 8" in text)
    assert "press 9" in said[offer + 1]  # the crisis offer first, then the disaster's
    assert f"transfers the call to {CRISIS_LINE}" in crisis.transcript.said("211")
    informed = place_call(app, clock, "+18075550124", ["1", "9", "silence", "silence", "silence"])
    assert any("Shelters are open" in text for text in said_to_caller(informed))
    assert not any("transfers the call" in text for text in informed.transcript.said("211"))


def test_the_crisis_result_fallback_is_a_safe_route(
        twilio: SignedClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("routing broke")

    monkeypatch.setattr("ivr.crisis.enqueue_call", broken)
    root = twiml(twilio.post("/voice/crisis-result?l=fr", CallSid="CAcrisis1",
                             DialCallStatus="no-answer"))
    assert verbs(root) == ["Say", "Enqueue"] and "un problème est survenu" in spoken(root)


@pytest.mark.parametrize(("digits", "speech", "language", "expected"), [
    ("8", None, "en", True), ("9", None, "en", False), ("1", "crisis", "en", False),
    (None, "I am in crisis", "en", True), (None, "thinking of suicide", "en", True),
    (None, "je suis en crise", "fr", True), (None, "crise", "en", True),
    (None, "housing please", "en", False), (None, "une crêpe", "fr", False),
    (None, "criminal lawyer", "en", False), (None, "", "fr", False),
])
def test_match_crisis(app: Flask, digits: str | None, speech: str | None, language: str,
                      expected: bool) -> None:
    assert match_crisis(digits, speech, language) is expected
