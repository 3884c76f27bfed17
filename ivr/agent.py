"""The specialists' side: dial in, hear who is next, take the longest-waiting caller.

A specialist's phone is recognised by its number. `/agent/incoming` whispers the next
caller's context and dials the provider's queue; Twilio then runs `/agent/connect` on the
caller's leg, where the two calls are linked, the record updated and the screen pop sent.
"""

from __future__ import annotations

from typing import NamedTuple

import phonenumbers
from flask import Blueprint, url_for
from sqlalchemy import bindparam, select
from twilio.twiml.voice_response import Gather, VoiceResponse

from config import database
from config.clock import now
from config.extensions import store
from directory import screen_pop
from ivr import prompts, records
from ivr.calls import figures, load_call, save_call
from ivr.models import Specialist
from ivr.session import CallSession
from ivr.webhook import empty, form, form_float, webhook
from routing.service import live_deployment as deployment  # published providers, regions

bp = Blueprint("agent", __name__, url_prefix="/agent")
AGENT_CALL_TTL = 12 * 3600


def goodbye_agent() -> VoiceResponse:
    resp = VoiceResponse()
    prompts.say(resp, "en", "agent_unknown")
    resp.hangup()
    return resp


class OnDuty(NamedTuple):
    """What a dial-in needs to know about the specialist: who, and whose queue."""

    id: int
    provider: str


# Built once (building a select and its cache key per dial-in cost more than the query), and
# only the two columns needed: run on the session's connection, no ORM object is built.
ACTIVE_SPECIALIST_BY_PHONE = select(Specialist.id, Specialist.provider).where(
    Specialist.phone == bindparam("phone"), Specialist.active.is_(True))


def find_specialist(number: str) -> OnDuty | None:
    """The active specialist dialing in from this number; read on every dial-in, so a
    specialist an admin deactivates is turned away on their next call."""
    try:
        e164 = phonenumbers.format_number(phonenumbers.parse(number, "CA"),
                                          phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return None
    found = database.db_session().connection().execute(ACTIVE_SPECIALIST_BY_PHONE, {"phone": e164})
    row = found.first()
    return None if row is None else OnDuty(row.id, row.provider)


@bp.post("/incoming")
@webhook(fallback=goodbye_agent)
def incoming() -> VoiceResponse:
    specialist = find_specialist(form("From"))
    agent_sid = form("CallSid")
    if specialist is None or not agent_sid:
        return goodbye_agent()
    provider = deployment().providers.get(specialist.provider)
    if provider is None:
        return goodbye_agent()
    with store().batch() as writes:  # who this leg is, and that they are signed in: one round trip
        writes.set_json(f"agentcall:{agent_sid}", {"specialist_id": specialist.id,
                                                   "provider": provider.id}, ttl=AGENT_CALL_TTL)
        figures(writes).specialist_signed_in(provider.id, agent_sid, now().timestamp())
    resp = VoiceResponse()
    whisper(resp, provider.id)
    dial = resp.dial(action=url_for("agent.after_call"), method="POST")
    dial.queue(provider.queue, url=url_for("agent.connect"), method="POST")
    return resp


def whisper(resp: VoiceResponse, provider_id: str) -> None:
    """Tell the specialist who is next in line, before the bridge."""
    next_sid = figures().next_caller(provider_id)
    if next_sid is None:
        prompts.say(resp, "en", "agent_no_caller")
        return
    prompts.say_text(resp, "en", whisper_text(load_call(next_sid)))


def whisper_text(call: CallSession) -> str:
    dep = deployment()
    region = dep.regions[call.region].name_en if call.region in dep.regions else "region unknown"
    waited = round(now().timestamp() - call.enqueued_at) if call.enqueued_at else 0
    interpreter = f" with a {call.interpreter} interpreter" if call.interpreter else ""
    return prompts.text(
        "en", "agent_whisper", language=prompts.label("en", "languages", call.language),
        interpreter=interpreter, region=region, need=prompts.label("en", "needs", call.need or "other"),
        waited=spoken_duration(waited),
    )


def spoken_duration(seconds: int) -> str:
    minutes, rest = divmod(max(0, seconds), 60)
    if not minutes:
        return f"{rest} seconds"
    return f"{minutes} minute{'s' if minutes > 1 else ''}" + (f" {rest} seconds" if rest else "")


@bp.post("/connect")
@webhook(fallback=empty)
def connect() -> VoiceResponse:
    """Runs on the caller's leg as the specialist dequeues them: link, record, screen pop."""
    call = load_call(form("CallSid"))
    agent_sid = form("DequeingCallSid") or form("DequeueingCallSid")
    agent = store().get_json(f"agentcall:{agent_sid}") if agent_sid else None
    specialist_id = agent.get("specialist_id") if isinstance(agent, dict) else None
    waited = form_float("QueueTime")
    with store().batch() as writes:  # queue figures, session and screen pop: one round trip
        if call.provider:
            figures(writes).caller_left(call.provider, call.call_sid, waited=waited or 0.0)
        if call.call_sid:
            call.answered_at = now().timestamp()
            save_call(call, writes)
            records.record_answered(database.db_session(), call, now(), waited, specialist_id)
        if specialist_id is not None:
            screen_pop.publish(writes, specialist_id, pop_event(call, waited))
    resp = VoiceResponse()
    prompts.say(resp, call.language, "connected_caller")
    return resp


def pop_event(call: CallSession, waited: float | None) -> dict[str, object]:
    dep = deployment()
    need = dep.need(call.need or "other")
    return {
        "type": "call", "call_sid": call.call_sid, "language": call.language,
        "interpreter": call.interpreter, "region": call.region, "need": call.need,
        "taxonomy": list(need.taxonomy) if need else [], "waited_seconds": round(waited or 0),
        "provider": call.provider, "overflowed": call.overflowed, "at": now().isoformat(),
    }


@bp.post("/after-call")
@webhook(fallback=empty)
def after_call() -> VoiceResponse:
    """The specialist's Dial ended: offer the next caller; silence signs them out."""
    resp = VoiceResponse()
    gather: Gather = resp.gather(input="dtmf", num_digits=1, timeout=8,
                                 action=url_for("agent.incoming"), method="POST")
    prompts.say(gather, "en", "agent_next")
    sign_out(form("CallSid"))
    prompts.say(resp, "en", "goodbye")
    resp.hangup()
    return resp


@bp.post("/status")
@webhook(fallback=empty)
def status() -> VoiceResponse:
    if form("CallStatus") in {"completed", "busy", "failed", "no-answer", "canceled"}:
        sign_out(form("CallSid"))
    return empty()


def sign_out(agent_sid: str) -> None:
    agent = store().get_json(f"agentcall:{agent_sid}") if agent_sid else None
    if isinstance(agent, dict):
        figures().specialist_signed_out(str(agent.get("provider")), agent_sid)
