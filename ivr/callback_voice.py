"""The callback webhooks: the offer on hold, the number, and the call back (issue 15).

On hold (inside the Enqueue's wait context, where Gather, Say, Play, Redirect and Leave are
allowed) the caller hears the offer; 1 reads back the caller ID to confirm, or asks for a
number when there is none or the caller prefers another. A keyed number that is not a valid
North American number is asked for again, twice, then the caller stays in the queue; every
Gather's silence comes back here as an empty answer. Only a number the caller confirmed is
ever dialled. Accepting says goodbye and `<Leave/>`s the queue; the Enqueue action
(`voice.queue_result`) then hangs up.

The call back is placed through Twilio's REST API from the outbox (`callback.place`, after
the claim is committed, on the outbox's thread: never in the specialist's webhook) with
answering-machine detection: a machine or fax is hung up on without a word; a person hears a
neutral opening and presses 1, and only then hears it is 2-1-1 and joins the callback's own
queue, where the specialist who claimed it is already waiting (`ivr.agent`). Its Enqueue
action is the usual one, so the survey follows.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, request, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from config import outbox
from config.clock import now
from config.database import commit, db_session
from config.extensions import settings
from ivr import callbacks, prompts, records
from ivr.call_state import url_state
from ivr.calls import best_effort, figures, load_call, save_call
from ivr.menus import RETRIES
from ivr.models import CB_CONFIRMING, CB_DIALING, CB_OPEN, Callback
from ivr.session import CallSession
from ivr.webhook import attempt_arg, empty, form, form_float, webhook

bp = Blueprint("callback", __name__, url_prefix="/voice/callback")
log = logging.getLogger(__name__)
PLACE = "callback.place"  # the outbox kind: place the call back (payload: id and attempt)
OFFER_TIMEOUT = 4
CALLEE_HOLD_SECONDS = 90  # the callee waits this long for the specialist at most


def queue_name(callback_id: int) -> str:
    return f"cb-{callback_id}"


# -- the offer, on hold ---------------------------------------------------------------------

def offer_due(call: CallSession, waited: float, expected: float | None) -> bool:
    """Offer a callback once the expected wait reaches the rule's threshold (with no
    estimate, once the caller has waited that long: the wait is at least that)."""
    threshold = call.callback_after_seconds
    if threshold is None or call.interpreter or call.callee_of or not call.call_sid:
        return False
    return (expected if expected is not None else waited) >= threshold


def add_offer(resp: VoiceResponse, call: CallSession) -> None:
    """The offer as a one-key Gather; silence goes on to the hold music after it."""
    if not call.callback_offered:
        callbacks.offered(db_session(), call, now())
        call.callback_offered = True
        save_call(call)
    gather = resp.gather(input="dtmf", num_digits=1, timeout=OFFER_TIMEOUT, method="POST",
                         action=url_for("callback.offer", **url_state(call)))
    prompts.say(gather, call.language, "callback_offer")


def back_to_hold(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    resp.redirect(url_for("voice.hold", **url_state(call)), method="POST")
    return resp


def stay_fallback() -> VoiceResponse:
    """Whatever failed in the offer, the caller keeps their place in the queue."""
    resp = VoiceResponse()
    state: dict[str, Any] = request.args.to_dict()
    state.pop("attempt", None)
    resp.redirect(url_for("voice.hold", **state), method="POST")
    return resp


@bp.post("/offer")
@webhook(fallback=stay_fallback)
def offer() -> VoiceResponse:
    call, resp = load_call(form("CallSid")), VoiceResponse()
    if form("Digits") != "1":
        return back_to_hold(resp, call)
    if callbacks.nanp(form("From")):
        return caller_id_menu(resp, call, 0)
    return keyed_menu(resp, call, 0)


def menu(resp: VoiceResponse, call: CallSession, endpoint: str, attempt: int, key: str,
         num_digits: int | None = 1, **values: Any) -> VoiceResponse:
    """A Gather to `endpoint`, then a Redirect there: silence is an empty answer."""
    action = url_for(endpoint, attempt=attempt, **url_state(call))
    gather = resp.gather(input="dtmf", num_digits=num_digits, timeout=8 if num_digits != 1 else 6,
                         finish_on_key="#", action=action, method="POST")
    prompts.say(gather, call.language, key, **values)
    resp.redirect(action, method="POST")
    return resp


def caller_id_menu(resp: VoiceResponse, call: CallSession, attempt: int) -> VoiceResponse:
    number = callbacks.nanp(form("From")) or ""
    return menu(resp, call, "callback.caller_id", attempt, "callback_caller_id",
                digits=callbacks.spoken_digits(number))


def keyed_menu(resp: VoiceResponse, call: CallSession, attempt: int) -> VoiceResponse:
    return menu(resp, call, "callback.keyed", attempt, "callback_enter", num_digits=None)


def row_of(call: CallSession) -> Callback:
    return callbacks.offered(db_session(), call, now())


@bp.post("/caller-id")
@webhook(fallback=stay_fallback)
def caller_id() -> VoiceResponse:
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    digits, number = form("Digits"), callbacks.nanp(form("From"))
    if digits == "1" and number:
        return accepted(resp, call, row_of(call), number, "caller_id")
    if digits == "2" or not number:
        return keyed_menu(resp, call, 0)
    if attempt < RETRIES:
        return caller_id_menu(resp, call, attempt + 1)
    return stay(resp, call)


@bp.post("/keyed")
@webhook(fallback=stay_fallback)
def keyed() -> VoiceResponse:
    """A keyed number: valid, it is read back to confirm; else asked again, twice."""
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    number = callbacks.nanp(form("Digits"))
    if number:
        row = row_of(call)
        callbacks.keep_keyed(row, number)
        return keyed_confirm_menu(resp, call, 0, number)
    if form("Digits"):
        prompts.say(resp, call.language, "callback_invalid")
    if attempt < RETRIES:
        return keyed_menu(resp, call, attempt + 1)
    return stay(resp, call)


def keyed_confirm_menu(resp: VoiceResponse, call: CallSession, attempt: int,
                       number: str) -> VoiceResponse:
    return menu(resp, call, "callback.keyed_confirm", attempt, "callback_keyed",
                digits=callbacks.spoken_digits(number))


@bp.post("/keyed-confirm")
@webhook(fallback=stay_fallback)
def keyed_confirm() -> VoiceResponse:
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    row = row_of(call)
    number = row.number if row.status == CB_CONFIRMING else None
    if number is None:
        return stay(resp, call)
    if form("Digits") == "1":
        return accepted(resp, call, row, number, "keyed")
    if form("Digits") == "2":
        return keyed_menu(resp, call, 1)
    if attempt < RETRIES:
        return keyed_confirm_menu(resp, call, attempt + 1, number)
    return stay(resp, call)


def accepted(resp: VoiceResponse, call: CallSession, row: Callback, number: str,
             source: str) -> VoiceResponse:
    """Owed, in its place: goodbye, and leave the queue (the Enqueue action hangs up)."""
    callbacks.accept(row, number, source, now())
    call.callback_id = row.id
    save_call(call)
    with best_effort():  # the live figures: still in line, at the first join
        figures().callback_owed(row.provider, row.id, row.joined_at.timestamp())
    prompts.say(resp, call.language, "callback_accepted")
    resp.leave()
    return resp


def stay(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    callbacks.cancel(row_of(call), now())
    prompts.say(resp, call.language, "callback_stay")
    return back_to_hold(resp, call)


def left_for_callback(db: Session, call: CallSession) -> bool:
    """At the Enqueue action (QueueResult=leave): did the caller leave to be called back?"""
    row = callbacks.find(db, call.call_sid)
    return row is not None and row.status in CB_OPEN


# -- the call back ----------------------------------------------------------------------------

def callback_arg() -> tuple[int, int]:
    raw, att = request.args.get("cbid", ""), request.args.get("att", "")
    return (int(raw) if raw.isdigit() else 0), (int(att) if att.isdigit() else 0)


def goodbye_callee() -> VoiceResponse:
    resp = VoiceResponse()
    prompts.say(resp, request.args.get("l", "en"), "callback_not_reached")
    resp.hangup()
    return resp


@bp.post("/answer")
@webhook(fallback=goodbye_callee)
def answer() -> VoiceResponse:
    """The callee picked up. A machine or fax: hang up without a word (nothing private is
    ever recorded); a person: the neutral opening, then press 1."""
    resp = VoiceResponse()
    callback_id, attempt = callback_arg()
    answered_by = form("AnsweredBy")
    if answered_by.startswith("machine") or answered_by == "fax":
        callbacks.note_result(db_session(), callback_id, "machine")
        resp.hangup()
        return resp
    return callee_menu(resp, callback_id, attempt, 0)


def callee_menu(resp: VoiceResponse, callback_id: int, attempt: int,
                tries: int) -> VoiceResponse:
    language = request.args.get("l", "en")
    action = url_for("callback.answer_key", cbid=callback_id, att=attempt, attempt=tries,
                     l=language)
    gather = resp.gather(input="dtmf", num_digits=1, timeout=6, action=action, method="POST")
    prompts.say(gather, language, "callback_intro")
    resp.redirect(action, method="POST")
    return resp


@bp.post("/answer-key")
@webhook(fallback=goodbye_callee)
def answer_key() -> VoiceResponse:
    resp = VoiceResponse()
    callback_id, attempt = callback_arg()
    if form("Digits") != "1":
        if attempt_arg() < RETRIES:
            return callee_menu(resp, callback_id, attempt, attempt_arg() + 1)
        callbacks.note_result(db_session(), callback_id, "not-confirmed")
        return goodbye_callee()
    row = callbacks.connected(db_session(), callback_id, form("CallSid"), now())
    if row is None:  # the specialist's wait ended meanwhile: a person still answers
        return goodbye_callee()
    call = callee_session(row)
    records.record_routed(call, now())
    save_call(call)
    prompts.say(resp, call.language, "callback_connecting")
    state = url_state(call)
    resp.enqueue(queue_name(row.id), wait_url=url_for("callback.hold", **state),
                 wait_url_method="POST", action=url_for("voice.queue_result", **state),
                 method="POST")
    return resp


def callee_session(row: Callback) -> CallSession:
    """The call back's own leg, with the first call's facts (for the record and the survey)."""
    at = now().timestamp()
    return CallSession(call_sid=form("CallSid"), started_at=at, caller_hash=row.caller_hash,
                       language=row.language, region=row.region, need=row.need,
                       provider=row.provider, queue=queue_name(row.id), enqueued_at=at,
                       overflow_provider=row.provider, callee_of=row.id)


@bp.post("/hold")
@webhook(fallback=lambda: VoiceResponse())
def hold() -> VoiceResponse:
    """The callee waits for the specialist who claimed the callback (normally not at all);
    past `CALLEE_HOLD_SECONDS` they leave, and the Enqueue action overflows them to the
    provider's own queue."""
    resp = VoiceResponse()
    if (form_float("QueueTime") or 0) >= CALLEE_HOLD_SECONDS:
        resp.leave()
        return resp
    resp.pause(length=10)
    return resp


@bp.post("/status")
@webhook(fallback=empty, shed=False)
def status() -> VoiceResponse:
    """The call back's status callback: what the callee's phone did, for the next try; the
    record of a callee who was connected is closed as every call's is."""
    callback_id, _ = callback_arg()
    call_status = form("CallStatus")
    if call_status in {"busy", "no-answer", "failed", "canceled"}:
        callbacks.note_result(db_session(), callback_id, call_status)
    elif call_status == "completed":
        call = load_call(form("CallSid"))
        if call.provider:
            records.record_closed(call, now(), form_float("CallDuration"))
    return empty()


@outbox.handler(PLACE, background=True)
def place(payload: dict[str, Any]) -> None:
    """Place the call back (once per attempt: a second delivery finds the sid recorded)."""
    engine = current_app.extensions["db_engine"]
    with Session(engine) as db:
        row = callbacks.get(db, int(payload["id"]))
        attempt = int(payload["attempt"])
        if (row is None or row.number is None or row.status != CB_DIALING
                or row.attempts != attempt or row.last_result == f"placed-{attempt}"):
            return
        cfg = settings()
        base = cfg.public_base_url
        query = f"cbid={row.id}&att={attempt}&l={row.language}"
        created = current_app.extensions["twilio_client_factory"]().calls.create(
            to=row.number, from_=cfg.twilio_from_number, method="POST",
            url=f"{base}/voice/callback/answer?{query}",
            status_callback=f"{base}/voice/callback/status?{query}",
            status_callback_method="POST", machine_detection="Enable",
            timeout=cfg.callback_ring_seconds)
        row.last_result = f"placed-{attempt}"
        log.info("callback %s attempt %s placed (%s)", row.id, attempt,
                 getattr(created, "sid", "?"))
        commit(db)
