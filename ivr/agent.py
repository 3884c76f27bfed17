"""The specialists' side: dial in, hear who is next, take the longest-waiting caller.

A specialist's phone is recognised by its number. `/agent/incoming` whispers the next
caller's context and dials the provider's queue; Twilio then runs `/agent/connect` on the
caller's leg, where the two calls are linked, the record updated and the screen pop sent.
"""

from __future__ import annotations

import phonenumbers
from flask import Blueprint, url_for
from sqlalchemy import select
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


def find_specialist(number: str) -> Specialist | None:
    try:
        e164 = phonenumbers.format_number(phonenumbers.parse(number, "CA"),
                                          phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return None
    return database.db_session().scalar(
        select(Specialist).where(Specialist.phone == e164, Specialist.active.is_(True)))


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
    store().set_json(f"agentcall:{agent_sid}", {"specialist_id": specialist.id,
                                                "provider": provider.id}, ttl=AGENT_CALL_TTL)
    figures().specialist_signed_in(provider.id, agent_sid, now().timestamp())
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
    if call.provider:
        figures().caller_left(call.provider, call.call_sid, waited=waited or 0.0)
    if call.call_sid:
        call.answered_at = now().timestamp()
        save_call(call)
        records.record_answered(database.db_session(), call, now(), waited, specialist_id)
    if specialist_id is not None:
        screen_pop.publish(store(), specialist_id, pop_event(call, waited))
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
