"""The outcome survey's webhooks: the follow-up call's questions and the SMS replies.

The outbound call (placed by `survey.jobs.attempt_outcome`) fetches `/survey/outcome/call`
with the contact's token in the URL. Texts are answered by replying; Twilio posts each reply
to `/survey/outcome/sms` (configure it as the number's messaging webhook), and the reply's
`From` finds the open contact by its hash. STOP, or "no" to going ahead, ends all contact;
answering the last question ends it too; either way the number is erased at once.

Whoever answers may not be the caller (a shared or watched phone): the call hangs up on an
answering machine (AMD) without a word, opens neutrally and asks for the person before saying
who is calling (the definition's `identity` question and `confirmed` text); the texts never
name 2-1-1 (`sms_intro`, `sms_outro`, `sms_stopped`).
"""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from config import database
from config.clock import now
from ivr.interface import attempt_arg, empty, form, webhook
from survey import contacts
from survey.answers import CallContext, record_answer
from survey.definition import Definition, Question, Reading, read_answer, version
from survey.models import CONTACT_DONE, CONTACT_STOPPED, FollowUpContact, SurveyAnswer
from survey.voice_questions import ask, goodbye, say

bp = Blueprint("survey_outcome", __name__, url_prefix="/survey/outcome")


def hang_up() -> VoiceResponse:
    resp = VoiceResponse()
    resp.hangup()
    return resp


def no_reply() -> MessagingResponse:
    return MessagingResponse()


def context_of(contact: FollowUpContact) -> CallContext:
    return CallContext(call_sid=contact.call_sid, language=contact.language,
                       region=contact.region, provider=contact.provider,
                       call_date=contact.call_date)


def definition_of(contact: FollowUpContact) -> Definition:
    return version(contacts.OUTCOME_SURVEY, contact.definition_version)


# -- the follow-up call ------------------------------------------------------------------------

# Twilio's answering-machine detection (MachineDetection=Enable on the REST call) posts
# AnsweredBy with the call's first request: human, machine_start, fax or unknown (with
# DetectMessageEnd: machine_end_beep, machine_end_silence, machine_end_other).
def answered_by_machine() -> bool:
    answered_by = form("AnsweredBy").strip().lower()
    return answered_by.startswith("machine") or answered_by == "fax"


@bp.post("/call")
@webhook(fallback=hang_up)
def call() -> VoiceResponse:
    """The follow-up call is answered. A machine gets nothing (no message, no name); a person
    hears a neutral opening and is asked whether they are the one who consented, before
    anything says who is calling. The attempt stays open, so a later one tries again."""
    contact = contacts.open_contact_by_token(database.db_session(), request.args.get("contact", ""))
    if contact is None or answered_by_machine():
        return hang_up()
    definition, resp = definition_of(contact), VoiceResponse()
    say(resp, contact.language, definition.text("intro", contact.language))
    if definition.identity is not None:
        return ask(resp, "survey_outcome.who", definition, definition.identity,
                   contact.language, 0, contact=contact.token)
    return ask(resp, "survey_outcome.answer", definition, definition.questions[0],
               contact.language, 0, contact=contact.token)


@bp.post("/who")
@webhook(fallback=hang_up)
def who() -> VoiceResponse:
    """The answer to "is this you?": yes goes on to the survey (now saying who calls); STOP
    ends all contact; anything else (no, silence) hears a neutral goodbye and nothing more."""
    db, resp, attempt = database.db_session(), VoiceResponse(), attempt_arg()
    contact = contacts.open_contact_by_token(db, request.args.get("contact", ""))
    if contact is None:
        return hang_up()
    definition, lang = definition_of(contact), contact.language
    check = definition.identity
    if check is None:
        return hang_up()
    reading = read_answer(definition, check, lang, form("Digits"), form("SpeechResult"))
    if reading.kind == Reading.NOTHING and attempt < definition.retries:
        return ask(resp, "survey_outcome.who", definition, check, lang, attempt + 1,
                   contact=contact.token)
    if reading.kind == Reading.STOP:
        contacts.close(contact, CONTACT_STOPPED, now())
        return goodbye(resp, definition, lang, "stopped")
    if reading.kind == Reading.ANSWER and reading.value in check.positive:
        say(resp, lang, definition.text("confirmed", lang))
        return ask(resp, "survey_outcome.answer", definition, definition.questions[0], lang, 0,
                   contact=contact.token)
    return goodbye(resp, definition, lang, "not_reached")


@bp.post("/answer")
@webhook(fallback=hang_up)
def answer() -> VoiceResponse:
    db, resp, attempt = database.db_session(), VoiceResponse(), attempt_arg()
    contact = contacts.open_contact_by_token(db, request.args.get("contact", ""))
    if contact is None:
        return hang_up()
    definition, lang = definition_of(contact), contact.language
    question = definition.question(request.args.get("q", ""))
    if question is None:
        return hang_up()
    reading = read_answer(definition, question, lang, form("Digits"), form("SpeechResult"))
    if reading.kind == Reading.NOTHING and attempt < definition.retries:
        if form("Digits") or form("SpeechResult"):
            say(resp, lang, definition.text("not_understood", lang))
        return ask(resp, "survey_outcome.answer", definition, question, lang, attempt + 1,
                   contact=contact.token)
    step = take_answer(db, contact, definition, question, reading, "voice")
    if step == "stopped":
        return goodbye(resp, definition, lang, "stopped")
    if step == "voicemail":  # no answer to the opening question: try again another day
        return hang_up()
    following = definition.after(question.id)
    if following is None:
        contacts.close(contact, CONTACT_DONE, now())
        return goodbye(resp, definition, lang)
    return ask(resp, "survey_outcome.answer", definition, following, lang, 0,
               contact=contact.token)


def take_answer(db: Session, contact: FollowUpContact, definition: Definition,
                question: Question, reading: Reading, channel: str) -> str:
    """Apply one answer: 'stopped', 'voicemail', 'start' (go ahead) or 'recorded'."""
    at = now()
    opening = question.id == definition.questions[0].id
    if reading.kind == Reading.STOP or (opening and reading.value in question.ends_contact):
        contacts.close(contact, CONTACT_STOPPED, at)
        return "stopped"
    if opening:
        return "start" if reading.kind == Reading.ANSWER else "voicemail"
    value = reading.value if reading.kind == Reading.ANSWER else None
    record_answer(db, context_of(contact), definition, question, value, at, channel)
    return "recorded"


@bp.post("/call-status")
@webhook(fallback=empty)
def call_status() -> VoiceResponse:
    """A follow-up call ended: if it got any answers, the survey is over for this caller."""
    db = database.db_session()
    contact = contacts.open_contact_by_token(db, request.args.get("contact", ""))
    if contact is None or form("CallStatus") != "completed":
        return empty()  # busy, no-answer, failed: the next scheduled attempt retries
    answered = db.scalar(select(func.count()).select_from(SurveyAnswer).where(
        SurveyAnswer.call_sid == contact.call_sid, SurveyAnswer.survey == definition_of(contact).id))
    if answered:
        contacts.close(contact, CONTACT_DONE, now())
    return empty()


# -- texts ------------------------------------------------------------------------------------

@bp.post("/sms")
@webhook(fallback=no_reply)  # type: ignore[arg-type]
def sms() -> MessagingResponse:
    db = database.db_session()
    contact = contacts.open_contact_by_number(db, form("From"), now())
    if contact is None:
        return no_reply()
    definition, lang, resp = definition_of(contact), contact.language, MessagingResponse()
    question = definition.question(contact.step or "") or definition.questions[0]
    body = form("Body")
    reading = read_answer(definition, question, lang, digits=body if body.isdigit() else "",
                          speech=body)
    if reading.kind == Reading.NOTHING:
        resp.message(f"{definition.text('not_understood', lang)} {sms_prompt(question, lang)}")
        return resp
    step = take_answer(db, contact, definition, question, reading, "sms")
    if step == "stopped":
        if reading.kind != Reading.STOP:  # carriers answer STOP themselves; a "no" gets a reply
            resp.message(sms_text(definition, "stopped", lang))
        return resp
    following = definition.after(question.id)
    if following is None:
        contacts.close(contact, CONTACT_DONE, now())
        resp.message(sms_text(definition, "outro", lang))
        return resp
    contact.step = following.id
    resp.message(sms_prompt(following, lang))
    return resp


def sms_text(definition: Definition, key: str, language: str) -> str:
    """A text's own wording (`sms_outro`, `sms_stopped`: neutral, a lock screen shows it to
    whoever holds the phone), else the spoken one of older versions."""
    return definition.text(f"sms_{key}", language) or definition.text(key, language)


def sms_prompt(question: Question, language: str) -> str:
    return question.sms.get(language) or question.sms.get("en", "")
