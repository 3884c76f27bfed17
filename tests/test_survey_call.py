"""The post-call survey, on whole simulated calls and on single signed webhooks."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.cli import DEMO_SPECIALISTS
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import finished_digits
from survey.models import FollowUpContact, SurveyAnswer
from tests.calls import add_specialists, only_record, place_call
from tests.survey_helpers import answers, only_contact
from tests.twilio_helpers import SignedClient, spoken, twiml, verbs

NORTH = DEMO_SPECIALISTS["north"]
CALLER = "+18075550123"  # area code 807: region north from caller ID


@pytest.fixture(autouse=True)
def _specialists(db: Session) -> None:
    add_specialists(db)


def test_call_from_greeting_to_completed_survey(app: Flask, clock: SimClock, db: Session) -> None:
    # language 1, need 1 (food); then survey: 5, yes, say "no", text
    call = place_call(app, clock, CALLER, ["1", "1", "5", "1", "say:no I don't", "2"],
                      specialist=NORTH)
    text = call.transcript.render()
    assert "the specialist hangs up" in text
    assert "How satisfied are you" in text and "Thank you for your answers" in text
    record = only_record(db)
    assert answers(db, record.call_sid) == {
        "satisfaction": "5", "call_again": "yes", "better_prepared": "no", "consent": "text"}
    rows = db.scalars(select(SurveyAnswer)).all()
    assert {(r.region, r.provider, r.language, r.survey, r.definition_version) for r in rows} == {
        ("north", "north", "en", "post_call", "2026.2")}
    assert {r.question: r.positive for r in rows} == {
        "satisfaction": True, "call_again": True, "better_prepared": False, "consent": True}
    contact = only_contact(db)
    assert (contact.phone, contact.channel, contact.status) == (CALLER, "text", "scheduled")
    assert contact.call_sid == record.call_sid and record.caller_hash != CALLER


def test_french_caller_hears_the_survey_in_french(app: Flask, clock: SimClock, db: Session) -> None:
    call = place_call(app, clock, CALLER, ["2", "say:logement", "say:cinq", "say:oui", "1", "3"],
                      specialist=NORTH)
    french = [line.text for line in call.transcript.lines if line.who.startswith("211 [fr-CA]")]
    assert any("Êtes-vous satisfait" in t for t in french)
    assert any("Merci de vos réponses" in t for t in french)
    assert answers(db) == {"satisfaction": "5", "call_again": "yes", "better_prepared": "yes",
                           "consent": "no"}
    assert db.scalar(select(func.count()).select_from(FollowUpContact)) == 0


def test_skips_by_key_word_and_silence(app: Flask, clock: SimClock, db: Session) -> None:
    # satisfaction: pound; call again: says "skip"; prepared: silence twice; consent: 3
    place_call(app, clock, CALLER, ["1", "1", "#", "say:skip", "silence", "silence", "3"],
               specialist=NORTH)
    assert answers(db) == {"satisfaction": None, "call_again": None, "better_prepared": None,
                           "consent": "no"}
    positives = set(db.scalars(select(SurveyAnswer.positive).where(
        SurveyAnswer.question != "consent")))
    assert positives == {None}


def test_a_lone_pound_skips_because_the_survey_has_no_finish_key(
        app: Flask, clock: SimClock, db: Session) -> None:
    # Twilio leaves the finish key out of Digits: with the default finishOnKey="#" a lone #
    # would arrive as no input and the question would be asked again.
    call = place_call(app, clock, CALLER, ["1", "1", "#", "1", "1", "3"], specialist=NORTH)
    survey_part = call.transcript.render().split("How satisfied", 1)[1]
    assert "How satisfied" not in survey_part  # asked once: the # reached the survey
    assert answers(db) == {"satisfaction": None, "call_again": "yes", "better_prepared": "yes",
                           "consent": "no"}


def test_the_simulator_drops_the_finish_key_as_twilio_does() -> None:
    assert finished_digits("#", "#") == ""
    assert finished_digits("12#", "#") == "12"
    assert finished_digits("#", "") == "#"


def test_not_understood_is_asked_again_then_taken(app: Flask, clock: SimClock, db: Session) -> None:
    call = place_call(app, clock, CALLER, ["1", "1", "8", "4", "1", "1", "3"], specialist=NORTH)
    assert "Sorry, I didn't get that." in call.transcript.render().split("How satisfied")[1]
    assert answers(db)["satisfaction"] == "4"


def start_survey(twilio: SignedClient, call_sid: str) -> None:
    twilio.post("/voice/incoming", CallSid=call_sid, From=CALLER)
    root = twiml(twilio.post("/survey/start", CallSid=call_sid, From=CALLER))
    assert verbs(root) == ["Say", "Gather", "Redirect"]


def test_hang_up_mid_survey_keeps_the_answers_given(twilio: SignedClient, db: Session) -> None:
    start_survey(twilio, "CA1")
    root = twiml(twilio.post("/survey/answer?q=satisfaction&v=2026.1&attempt=0", CallSid="CA1",
                             From=CALLER, Digits="4"))
    assert "Would you call 2-1-1 again" in spoken(root)
    twiml(twilio.post("/voice/status", CallSid="CA1", From=CALLER, CallStatus="completed",
                      CallDuration="300"))
    assert answers(db) == {"satisfaction": "4"}
    assert db.scalar(select(func.count()).select_from(FollowUpContact)) == 0


def test_a_retried_webhook_is_stored_once(twilio: SignedClient, db: Session) -> None:
    start_survey(twilio, "CA2")
    url = "/survey/answer?q=satisfaction&v=2026.1&attempt=0"
    for digits in ("5", "5", "2"):  # Twilio's retry, then a stray conflicting repeat
        root = twiml(twilio.post(url, CallSid="CA2", From=CALLER, Digits=digits))
        assert "Would you call 2-1-1 again" in spoken(root)
    consent = "/survey/answer?q=consent&v=2026.1&attempt=0"
    for _ in range(2):
        assert verbs(twiml(twilio.post(consent, CallSid="CA2", From=CALLER, Digits="1"))) == [
            "Say", "Hangup"]
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 2
    assert answers(db) == {"satisfaction": "5", "consent": "call"}
    assert only_contact(db).channel == "call"


def test_consent_without_a_usable_number_keeps_no_contact(twilio: SignedClient, db: Session) -> None:
    start_survey(twilio, "CA3")
    twiml(twilio.post("/survey/answer?q=consent&v=2026.1&attempt=0", CallSid="CA3",
                      From="anonymous", Digits="1"))
    assert answers(db) == {"consent": "call"}
    assert db.scalar(select(func.count()).select_from(FollowUpContact)) == 0


def test_odd_requests_still_get_twiml(twilio: SignedClient, db: Session) -> None:
    assert verbs(twiml(twilio.post("/survey/answer?q=nope&v=x&attempt=z", CallSid="CA4",
                                   From=CALLER, Digits="1"))) == ["Say", "Hangup"]
    assert twilio.post("/survey/start", signature="bad", CallSid="CA4").status_code == 403
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 0
