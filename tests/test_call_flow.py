"""Whole calls, driven the way Twilio drives them: signed posts, following the TwiML."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from ivr.cli import DEMO_SPECIALISTS
from ivr.simulator.cli import SimClock
from tests.calls import add_specialists, only_record, place_call
from tests.twilio_helpers import SignedClient, twiml, verbs

NORTH, CENTRAL_EAST = DEMO_SPECIALISTS["north"], DEMO_SPECIALISTS["central_east"]


@pytest.fixture(autouse=True)
def _specialists(db: Session) -> None:
    add_specialists(db)


def test_english_call_is_routed_answered_and_recorded(app: Flask, clock: SimClock, db: Session) -> None:
    call = place_call(app, clock, "+17056730123", ["1", "2"], specialist=NORTH)
    text = call.transcript.render()
    assert "Welcome to 2-1-1 Ontario" in text and "Bienvenue" in text
    assert "housing or shelter" in text.split("to specialist")[1]  # the whisper
    assert "the specialist is on the line" in text
    record = only_record(db)
    assert (record.language, record.region, record.region_source) == ("en", "north", "caller_id")
    assert (record.need, record.provider, record.result) == ("housing", "north", "answered")
    assert record.queue_seconds is not None and record.queue_seconds >= 30
    assert record.talk_seconds and record.ivr_seconds is not None
    assert record.caller_hash and "7056730123" not in record.caller_hash
    assert record.routing_trace and record.routing_trace[-1]["matched"]


def test_french_call_hears_french_prompts(app: Flask, clock: SimClock, db: Session) -> None:
    call = place_call(app, clock, "+17056730123", ["2", "say:logement"], specialist=NORTH)
    after_choice = [line for line in call.transcript.lines if line.who.startswith("211 [fr-CA]")]
    assert any("Pour quel besoin" in line.text for line in after_choice)
    assert any("Nous vous mettons en lien avec un spécialiste" in line.text for line in after_choice)
    assert any("spécialiste disponible de 211 Nord" in line.text for line in after_choice)
    assert not any("contact centre" in line.text for line in after_choice)
    record = only_record(db)
    assert (record.language, record.need, record.result) == ("fr", "housing", "answered")


def test_interpreter_caller_skips_what_they_cannot_answer(app: Flask, clock: SimClock,
                                                          db: Session) -> None:
    # 705 spans regions, so an English caller would be asked where they are; a Punjabi
    # caller is not: no location question, no need menu, no survey, hold in Punjabi.
    call = place_call(app, clock, "+17055550123", ["3", "say:panjabi", "1", "1", "1"],
                      specialist=CENTRAL_EAST)
    text = call.transcript.render()
    assert "An interpreter for Punjabi will join your call" in text
    for unanswerable in ("name of your city", "What do you need help with", "How satisfied"):
        assert unanswerable not in text
    in_punjabi = [line.text for line in call.transcript.lines if line.who.endswith("[pa-IN]")]
    assert in_punjabi and all("ਦੁਭਾਸ਼ੀਆ" in t for t in in_punjabi)  # "interpreter", in Punjabi
    whisper = " ".join(call.transcript.said("to specialist"))
    assert "Next caller: Punjabi with an interpreter" in whisper and " pa " not in whisper
    assert "need not asked" in whisper
    record = only_record(db)
    assert (record.language, record.interpreter_language, record.need) == ("en", "pa", None)
    assert (record.region, record.region_source, record.result) == ("central_east", "default",
                                                                   "answered")


def test_interpreter_caller_without_a_twilio_voice_hears_a_short_cue(app: Flask, clock: SimClock,
                                                                     db: Session) -> None:
    call = place_call(app, clock, "+18075550123", ["3", "say:Somali"], specialist=NORTH)
    said = call.transcript.said("211") + call.transcript.said("hold")
    assert any("An interpreter for Somali will join your call" in s for s in said)
    assert not any("What do you need help with" in s for s in said)
    assert only_record(db).interpreter_language == "so"


def test_language_named_at_the_first_menu_goes_straight_to_an_interpreter(
        app: Flask, clock: SimClock, db: Session) -> None:
    place_call(app, clock, "+14165550123", ["say:Arabic", "1"], specialist=DEMO_SPECIALISTS["central"])
    assert only_record(db).interpreter_language == "ar"


@pytest.mark.parametrize(("number", "region"), [
    ("+14165550123", "central"),
    ("+17057260123", "central_east"),
    ("+19055210123", "central_south"),
    ("+16135550123", "east"),
    ("+18075550123", "north"),
    ("+15192520123", "south_west"),
])
def test_each_region_from_caller_id(app: Flask, clock: SimClock, db: Session, number: str,
                                    region: str) -> None:
    call = place_call(app, clock, number, ["1", "1"], specialist=DEMO_SPECIALISTS[region])
    assert "Please say the name of your city" not in call.transcript.render()
    record = only_record(db)
    assert (record.region, record.provider, record.result) == (region, region, "answered")


@pytest.mark.parametrize(("spoken", "region", "source"), [
    ("say:Sudbury", "north", "speech"),
    ("say:I'm calling from Barrie", "central_east", "speech"),
    ("say:P3A 1B2", "north", "postal"),
    ("say:my postal code is l4m 3x9", "central_east", "postal"),
])
def test_ambiguous_area_code_resolved_by_town_or_postal_code(
        app: Flask, clock: SimClock, db: Session, spoken: str, region: str, source: str) -> None:
    call = place_call(app, clock, "+17055550123", ["1", spoken, "1"], specialist=DEMO_SPECIALISTS[region])
    assert "Please say the name of your city or town" in call.transcript.render()
    record = only_record(db)
    assert (record.region, record.region_source) == (region, source)


def test_silence_at_every_menu_takes_the_defaults(app: Flask, clock: SimClock, db: Session) -> None:
    call = place_call(app, clock, "+17055550123", [], specialist=CENTRAL_EAST)
    said = call.transcript.said("211")
    assert sum("For English, press 1" in s for s in said) == 3  # asked, then two retries
    assert sum("Please say the name of your city" in s for s in said) == 3
    assert sum("What do you need help with" in s for s in said) == 3
    record = only_record(db)
    # 705 spans regions: the one with most of its exchanges (Central East) is taken, need "other"
    assert (record.language, record.region, record.region_source) == ("en", "central_east", "default")
    assert (record.need, record.result) == ("other", "answered")


def test_garbage_input_at_every_menu_is_retried_then_defaulted(app: Flask, clock: SimClock,
                                                               db: Session) -> None:
    garbage = ["9", "say:zzzz qqq", "*"]  # language menu: wrong key, noise, wrong key
    garbage += ["say:blorptown", "say:xyzzy", "say:mmm"]  # location: no such place
    garbage += ["9", "#", "say:qwerty"]  # need menu
    call = place_call(app, clock, "+17055550123", garbage, specialist=CENTRAL_EAST)
    said = call.transcript.said("211")
    assert sum("Sorry, I didn't get that" in s for s in said) >= 4
    assert sum("didn't catch where you are calling from" in s for s in said) == 2
    record = only_record(db)
    assert (record.language, record.need, record.result) == ("en", "other", "answered")


def test_unmatched_interpreter_language_still_reaches_a_person(app: Flask, clock: SimClock,
                                                               db: Session) -> None:
    call = place_call(app, clock, "+14165550123", ["3", "say:blah", "silence", "say:hmm", "1"],
                      specialist=DEMO_SPECIALISTS["central"])
    assert "A specialist will connect an interpreter for you" in call.transcript.render()
    record = only_record(db)
    assert (record.interpreter_language, record.result) == ("und", "answered")


def test_long_wait_leaves_for_the_overflow_provider(app: Flask, clock: SimClock, db: Session) -> None:
    # Central East's queue is unanswered; past its max wait the caller goes to Central.
    call = place_call(app, clock, "+17057260123", ["1", "1"], specialist=DEMO_SPECIALISTS["central"],
                      answer_after=700)
    text = call.transcript.render()
    assert "caller leaves queue 211-central-east" in text
    assert "connecting you with another 2-1-1 team" in text
    record = only_record(db)
    assert (record.provider, record.overflowed, record.result) == ("central", True, "answered")


def test_full_queue_overflows(app: Flask, clock: SimClock, db: Session) -> None:
    call = place_call(app, clock, "+17057260123", ["1", "1"], specialist=DEMO_SPECIALISTS["central"],
                      max_queue_size=0)
    text = call.transcript.render()
    assert "211-central-east is full" in text and "211-central is full" in text
    assert "transfers the call to +14165550100" in text  # every queue full: the staffed line
    record = only_record(db)
    assert (record.overflowed, record.provider, record.result) == (True, "central", "transferred")


def test_hangup_in_queue_is_recorded_as_abandoned(app: Flask, clock: SimClock, db: Session) -> None:
    place_call(app, clock, "+18075550123", ["1", "1"], specialist=None, hangup_after=95)
    record = only_record(db)
    assert record.result == "abandoned" and record.answered_at is None
    assert record.queue_seconds is not None and record.queue_seconds >= 95


def test_hangup_before_the_queue_is_an_ivr_abandon(app: Flask, clock: SimClock, db: Session,
                                                   twilio) -> None:  # type: ignore[no-untyped-def]
    twilio.post("/voice/incoming", CallSid="CAivr", From="+14165550123")
    twilio.post("/voice/status", CallSid="CAivr", CallStatus="completed", CallDuration="12")
    record = only_record(db)
    assert (record.result, record.ivr_seconds) == ("ivr_abandoned", 12)


def test_bridged_call_reaches_the_survey_hook(app: Flask, clock: SimClock) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1"], specialist=DEMO_SPECIALISTS["north"])
    lines = call.transcript.render().split("the specialist hangs up", 1)
    assert len(lines) == 2 and "Thank you for calling 2-1-1" in lines[1]


def test_queue_error_goes_to_the_safe_route_then_a_staffed_line(twilio: SignedClient) -> None:
    twilio.post("/voice/incoming", CallSid="CAerr", From="+14165550123")
    first = twiml(twilio.post("/voice/queue-result", CallSid="CAerr", QueueResult="error"))
    assert verbs(first)[-1] == "Enqueue" and first.findtext("Enqueue") == "211-central"
    second = twiml(twilio.post("/voice/queue-result", CallSid="CAerr", QueueResult="system-error"))
    assert second.findtext("Dial/Number") == "+14165550100"


def test_forced_internal_error_still_routes_to_a_person(app: Flask, clock: SimClock, db: Session,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("routing exploded")

    monkeypatch.setattr("ivr.routing_step.route", broken)
    call = place_call(app, clock, "+14165550123", ["1", "1"], specialist=DEMO_SPECIALISTS["central"])
    text = call.transcript.render()
    assert "something went wrong" in text and "the specialist is on the line" in text
