"""The post-call survey, right after the specialist hangs up.

The IVR redirects every bridged call to `survey.start`. Each question posts to
`survey.answer` with the question id, the definition version and the attempt in the URL,
so the flow needs no extra state; each answer is stored as it comes, so a caller who hangs
up keeps what they said. A "call" or "text" answer to the consent question records the
number Twilio posts as `From` in the follow-up contact table, and schedules the outcome job.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, request
from twilio.twiml.voice_response import VoiceResponse

from config import database
from config.clock import now
from ivr import prompts
from ivr.calls import load_call
from ivr.session import CallSession
from ivr.webhook import attempt_arg, form, webhook
from survey import contacts
from survey.answers import CallContext, local_date, record_answer
from survey.definition import Reading, current, read_answer, version
from survey.voice_questions import ask, goodbye, say

SURVEY_ID = "post_call"
CONSENT_QUESTION = "consent"


def thanks() -> VoiceResponse:
    """Fallback: whatever went wrong, the caller hears a polite goodbye, never an error."""
    resp = VoiceResponse()
    prompts.say(resp, "en", "goodbye")
    resp.hangup()
    return resp


bp = Blueprint("survey", __name__, url_prefix="/survey")


def call_context(call: CallSession) -> CallContext:
    started = call.started_at or now().timestamp()
    return CallContext(call_sid=call.call_sid, language=call.language, region=call.region,
                       provider=call.provider,
                       call_date=local_date(datetime.fromtimestamp(started, UTC)))


@bp.post("/start")
@webhook(fallback=thanks)
def start() -> VoiceResponse:
    call = load_call(form("CallSid"))
    definition = current(SURVEY_ID)
    resp = VoiceResponse()
    say(resp, call.language, definition.text("intro", call.language))
    return ask(resp, "survey.answer", definition, definition.questions[0], call.language, 0)


@bp.post("/answer")
@webhook(fallback=thanks)
def answer() -> VoiceResponse:
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    definition = version(SURVEY_ID, request.args.get("v", ""))
    question = definition.question(request.args.get("q", ""))
    if question is None or not call.call_sid:
        return goodbye(resp, definition, call.language)
    reading = read_answer(definition, question, call.language, form("Digits"), form("SpeechResult"))
    if reading.kind == Reading.NOTHING and attempt < definition.retries:
        if form("Digits") or form("SpeechResult"):
            say(resp, call.language, definition.text("not_understood", call.language))
        return ask(resp, "survey.answer", definition, question, call.language, attempt + 1)
    value = reading.value if reading.kind == Reading.ANSWER else None
    if reading.kind == Reading.STOP and question.id == CONSENT_QUESTION:
        value = "no"
    db, at, context = database.db_session(), now(), call_context(call)
    record_answer(db, context, definition, question, value, at)
    if question.id == CONSENT_QUESTION and value in {"call", "text"}:
        contacts.give_consent(db, context, value, form("From"), at)
    following = definition.after(question.id)
    if following is None:
        return goodbye(resp, definition, call.language)
    return ask(resp, "survey.answer", definition, following, call.language, 0)
