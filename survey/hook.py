"""The post-call survey, right after the specialist hangs up.

The IVR redirects every bridged call to `survey.start`. Each question posts to
`survey.answer` with the question id, the definition version and the attempt in the URL,
so the flow needs no extra state; each answer is stored as it comes, so a caller who hangs
up keeps what they said. A "call" or "text" answer to the consent question records the
number Twilio posts as `From` in the follow-up contact table and, in the same transaction,
the outcome job it owes (an outbox row, scheduled once that is committed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from config import durable
from config.clock import now
from config.extensions import writer
from ivr.interface import CallFacts, attempt_arg, current_call, form, spoken, webhook
from ivr.interface import say as say_prompt
from survey import contacts, jobs
from survey.answers import CallContext, local_date, record_answer
from survey.definition import Definition, Question, Reading, current, read_answer, version
from survey.voice_questions import ask, goodbye, say

SURVEY_ID = "post_call"
CONSENT_QUESTION = "consent"


def thanks() -> VoiceResponse:
    """Fallback: whatever went wrong, the caller hears a polite goodbye, never an error,
    in their language (the survey's URLs carry it: no store needed)."""
    resp = VoiceResponse()
    say_prompt(resp, spoken(request.args.get("l")), "goodbye")
    resp.hangup()
    return resp


bp = Blueprint("survey", __name__, url_prefix="/survey")


def call_context(call: CallFacts) -> CallContext:
    started = call.started_at or now().timestamp()
    return CallContext(call_sid=call.call_sid, language=call.language, region=call.region,
                       provider=call.provider,
                       call_date=local_date(datetime.fromtimestamp(started, UTC)))


@bp.post("/start")
@webhook(fallback=thanks)
def start() -> VoiceResponse:
    call = current_call()
    definition = current(SURVEY_ID)
    resp = VoiceResponse()
    say(resp, call.language, definition.text("intro", call.language))
    return ask(resp, "survey.answer", definition, definition.questions[0], call.language, 0,
               **call.carried)


def answer_fallback() -> VoiceResponse:
    """When /survey/answer fails, overruns or is shed: the goodbye, and what the caller
    said is kept all the same (the raw keys and words, read when the journal is written),
    so a survey answer given is never lost, whatever became of the view."""
    keep_given()
    return thanks()


@bp.post("/answer")
@webhook(fallback=answer_fallback)
def answer() -> VoiceResponse:
    call, attempt, resp = current_call(), attempt_arg(), VoiceResponse()
    definition = version(SURVEY_ID, request.args.get("v", ""))
    question = definition.question(request.args.get("q", ""))
    if question is None or not call.call_sid:
        return goodbye(resp, definition, call.language)
    reading = read_answer(definition, question, call.language, form("Digits"), form("SpeechResult"))
    if reading.kind == Reading.NOTHING and attempt < definition.retries:
        if form("Digits") or form("SpeechResult"):
            say(resp, call.language, definition.text("not_understood", call.language))
        return ask(resp, "survey.answer", definition, question, call.language, attempt + 1,
                   **call.carried)
    value = answer_value(reading, question)
    at, context = now(), call_context(call)
    keep_answer(context, definition, question, value, at)
    if question.id == CONSENT_QUESTION and value in {"call", "text"}:
        keep_consent(context, value, form("From"), at)
    following = definition.after(question.id)
    if following is None:
        return goodbye(resp, definition, call.language)
    return ask(resp, "survey.answer", definition, following, call.language, 0,
               **call.carried)


def answer_value(reading: Reading, question: Question) -> str | None:
    if reading.kind == Reading.STOP and question.id == CONSENT_QUESTION:
        return "no"
    return reading.value if reading.kind == Reading.ANSWER else None


def keep_given() -> None:
    """Journal the answer this request carries, from the request alone (no store, no
    database: the fallback may be answering because they are slow)."""
    call_sid, question = form("CallSid"), request.args.get("q", "")
    if not call_sid or not question:
        return
    started = request.args.get("t0", "")
    writer().keep("survey.given", {
        "call_sid": call_sid, "language": request.args.get("l", "en"),
        "region": request.args.get("r") or None, "provider": request.args.get("p") or None,
        "started_at": float(started) if started.isdigit() else None,
        "version": request.args.get("v", ""), "question": question,
        "digits": form("Digits"), "speech": form("SpeechResult"), "from": form("From"),
        "at": now()})


def keep_answer(context: CallContext, definition: Definition, question: Question,
                value: str | None, at: datetime) -> None:
    """The answer reaches the database now, or the journal while the database is away."""
    writer().write("survey.answer", {
        "context": context_payload(context), "survey": definition.id,
        "version": definition.version, "question": question.id, "value": value, "at": at})


def keep_consent(context: CallContext, channel: str, raw_from: str, at: datetime) -> None:
    writer().write("survey.consent", {"context": context_payload(context), "channel": channel,
                                      "from": raw_from, "at": at})


def context_payload(context: CallContext) -> dict[str, Any]:
    return {"call_sid": context.call_sid, "language": context.language, "region": context.region,
            "provider": context.provider, "call_date": context.call_date}


@durable.register("survey.answer", alone=True)
def apply_answer(db: Session, payload: dict[str, Any]) -> None:
    definition = version(payload["survey"], payload["version"])
    question = definition.question(payload["question"])
    if question is not None:
        record_answer(db, CallContext(**payload["context"]), definition, question,
                      payload["value"], payload["at"])


@durable.register("survey.given")
def apply_given(db: Session, payload: dict[str, Any]) -> None:
    """An answer kept by the fallback: read now as the view would have read it (nothing
    heard is a skipped question: the caller was told goodbye, not asked again)."""
    definition = version(SURVEY_ID, payload["version"])
    question = definition.question(payload["question"])
    if question is None:
        return
    language = spoken(payload["language"])
    value = answer_value(read_answer(definition, question, language, payload["digits"],
                                     payload["speech"]), question)
    at: datetime = payload["at"]
    started = payload["started_at"]
    context = CallContext(call_sid=payload["call_sid"], language=language,
                          region=payload["region"], provider=payload["provider"],
                          call_date=local_date(datetime.fromtimestamp(started, UTC)
                                               if started else at))
    record_answer(db, context, definition, question, value, at)
    if question.id == CONSENT_QUESTION and value in {"call", "text"}:
        apply_consent(db, {"context": context_payload(context), "channel": value,
                           "from": payload["from"], "at": at})


@durable.register("survey.consent")
def apply_consent(db: Session, payload: dict[str, Any]) -> None:
    contact = contacts.give_consent(db, CallContext(**payload["context"]), payload["channel"],
                                    payload["from"], payload["at"])
    if contact is not None and contact.next_attempt_at is not None:  # new: owe its jobs
        at = payload["at"]
        jobs.owe_attempt(db, contact.id, contact.next_attempt_at, at)
        jobs.owe_purge(db, at + contacts.policy().retention, at)
