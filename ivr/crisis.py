"""The need menu's crisis option: the caller is put through to the crisis line (9-8-8 by
default, `CRISIS_LINE_NUMBER`), and comes back to a specialist if it does not answer.

The call is recorded as a transfer (`records.record_routed(..., transferred=True)`, as a
routing transfer is) flagged as a crisis call, and the dial as a transfer of kind
"crisis" with its outcome (`ivr.call_extras`), so the reports count both. A crisis line
that is busy or does not answer sends the caller at once to their region's specialist
queue (`enqueue_call`): never silence, never a dead end.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from twilio.twiml.voice_response import VoiceResponse

from config.clock import now
from config.deadline import commit_to_answer
from config.extensions import settings
from ivr import call_extras, prompts, records
from ivr.call_state import url_state
from ivr.calls import save_call
from ivr.models import CRISIS_VIA_MENU
from ivr.routing_step import enqueue_call
from ivr.session import CallSession

RING_SECONDS = 30  # how long the crisis line rings before the caller comes back to us
ANSWERED = {"completed", "answered"}  # Twilio's DialCallStatus when the far end took the call
NOT_ANSWERED = {"busy", "no-answer", "failed", "canceled"}


def put_through(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    """Dial the crisis line, its result to /voice/crisis-result (`after_dial`)."""
    commit_to_answer()  # as routing's transfer: nothing recorded that the caller did not get
    at = now()
    number = settings().crisis_line_number
    call.transferred = True
    save_call(call)
    records.record_routed(call, at, transferred=True)
    started = datetime.fromtimestamp(call.started_at, UTC) if call.started_at else at
    call_extras.mark_crisis(call.call_sid, CRISIS_VIA_MENU, started_at=started)
    call_extras.transfer_started(call.call_sid, "cold", "crisis", number, at)
    prompts.say(resp, call.language, "crisis_connecting")
    dial = resp.dial(action=url_for("voice.crisis_result", **url_state(call)), method="POST",
                     timeout=RING_SECONDS)
    dial.number(number)
    return resp


def after_dial(call: CallSession, status: str) -> VoiceResponse:
    """Answered: the call ends with it. Anything else (not answered, or a status we do not
    know): told so, then a specialist; a caller in crisis is never simply hung up on."""
    resp = VoiceResponse()
    outcome = ("answered" if status in ANSWERED
               else status if status in NOT_ANSWERED else "failed")
    if call.call_sid:
        call_extras.transfer_ended(call.call_sid, outcome, now())
    if outcome == "answered":
        resp.hangup()
        return resp
    prompts.say(resp, call.language, "crisis_no_answer")
    call.transferred = False
    call.need = call.need or "other"
    return enqueue_call(resp, call)
