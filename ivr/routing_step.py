"""Putting the caller through: ask routing, then <Enqueue> (or transfer), overflow, safe route."""

from __future__ import annotations

import logging
from typing import Any

from flask import url_for
from twilio.twiml.voice_response import VoiceResponse

from config.clock import now
from config.deadline import commit_to_answer
from config.extensions import settings, store
from config.ontario import data_files
from ivr import prompts, records, wake
from ivr.call_state import apply_url_state, url_state
from ivr.calls import best_effort, figures, save_call
from ivr.session import CallSession
from routing.engine.decision import TRANSFER, CallContext, Decision
from routing.engine.disaster import POOLED, pooled_target, published_overflow
from routing.service import effective, live_figures, published, route
from routing.service import provider as routed_provider

log = logging.getLogger(__name__)


def context_of(call: CallSession) -> CallContext:
    return CallContext(region=call.region, language=call.language, interpreter=call.interpreter,
                       need=call.need, area_code=call.area_code, overflowed=call.overflowed)


def enqueue_call(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    decision = route(context_of(call))
    for message in decision.messages:
        prompts.say_text(resp, call.language, message.get(call.language) or message.get("en", ""))
    if decision.action == TRANSFER and decision.transfer_number:
        return transfer(resp, call, decision)
    return put_in_queue(resp, call, decision, "connecting")


def put_in_queue(resp: VoiceResponse, call: CallSession, decision: Decision, prompt: str) -> VoiceResponse:
    """Record the route, enqueue the caller on the shared figures, answer the <Enqueue>.

    Committed first (`config.deadline`): once the webhook has answered its fallback (the
    safe route) this raises instead, and nothing here records a queue the caller never joined.
    """
    commit_to_answer()
    provider = routed_provider(decision.provider)
    call.provider, call.queue = provider.id, provider.queue
    call.max_wait_seconds = decision.max_wait_seconds
    call.overflow_provider = decision.overflow_provider
    if decision.callback_after_seconds is not None:  # an overflow keeps the first route's
        call.callback_after_seconds = decision.callback_after_seconds
    call.interpreter = decision.interpreter or call.interpreter
    call.routing_trace = [*call.routing_trace, *(dict(step) for step in decision.trace)]
    at = now()
    call.enqueued_at = call.enqueued_at or at.timestamp()
    records.record_routed(call, at)
    with best_effort(), store().batch() as writes:  # the session and the queue: one round trip
        save_call(call, writes)
        figures(writes).caller_enqueued(provider.id, call.call_sid, at.timestamp())
    with best_effort():  # the status callback may have come first: no ghost in the queue
        figures().forget_if_gone(provider.id, call.call_sid)
    wake.wake_for(provider.id, call.call_sid)
    if not (call.interpreter and call.interpreter in prompts.interpreter_hold_lines()):
        # (an interpreter caller hears "please hold" in their language from the hold URL)
        prompts.say(resp, call.language, prompt, provider=provider.spoken_name(call.language))
    return enqueue_verb(resp, url_state(call), provider.id, provider.queue)


def enqueue_verb(resp: VoiceResponse, state: dict[str, Any], provider_id: str,
                 queue: str) -> VoiceResponse:
    """The <Enqueue>: its waitUrl knows the queue's provider (`ap`), so the hold step can put
    back in the shared figures a caller they lost (Redis restarted empty, or a caller the
    safe route queued without them), and a specialist can then claim them."""
    resp.enqueue(queue, wait_url=url_for("voice.hold", **state, ap=provider_id),
                 wait_url_method="POST", action=url_for("voice.queue_result", **state),
                 method="POST")
    return resp


def transfer(resp: VoiceResponse, call: CallSession, decision: Decision) -> VoiceResponse:
    commit_to_answer()  # as in put_in_queue: no transfer recorded that the caller did not get
    call.routing_trace = [*call.routing_trace, *(dict(step) for step in decision.trace)]
    call.transferred = True
    save_call(call)
    records.record_routed(call, now(), transferred=True)
    prompts.say(resp, call.language, "transfer")
    dial = resp.dial(action=url_for("voice.transfer_result", **url_state(call)), method="POST")
    dial.number(decision.transfer_number)
    return resp


def overflow_call(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    """The caller waited too long (or the queue is full): another provider takes the call.

    The overflow queue has a max wait of its own (its provider's, at most the deployment's
    longest), and a call that already overflowed, or has nowhere to overflow to, goes to
    the staffed fallback line instead: a surge can never bounce a caller between full
    queues, and a caller nobody answers still reaches a person.
    """
    target_id, why = (None, "") if call.overflowed else overflow_target(call)
    if not target_id:
        return last_resort(resp, call)
    target = routed_provider(target_id)
    call.overflowed = True
    ctx = context_of(call)
    decision = Decision(action="enqueue", provider=target.id, queue=target.queue,
                        interpreter=ctx.interpreter,
                        max_wait_seconds=min(target.max_wait_seconds, longest_max_wait()),
                        trace=({"rule": "overflow", "matched": True,
                                "why": f"left {call.provider} -> {target.id}{why}"},))
    return put_in_queue(resp, call, decision, "overflow")


def overflow_target(call: CallSession) -> tuple[str | None, str]:
    """Where the caller overflows to, and how it was chosen (for the trace).

    Pooled (disaster mode): the queue with capacity now, across every region
    (`routing.engine.disaster.pooled_target`, from the live figures); with none, or the
    figures unreadable, the provider's own overflow in the published rules."""
    if call.overflow_provider != POOLED:
        return call.overflow_provider, ""
    rs = effective().ruleset
    chosen = None
    with best_effort():
        chosen = pooled_target(rs, call.provider, call.language,
                               live_figures(frozenset(rs.providers)))
    if chosen:
        return chosen, " (pooled: the queue with capacity now)"
    return published_overflow(published().ruleset, call.provider), \
        " (pooled: no queue with capacity, the provider's own overflow)"


def longest_max_wait() -> int:
    """The longest max wait anywhere in the rules in effect (providers and rules)."""
    rs = effective().ruleset
    waits = [p.max_wait_seconds for p in rs.providers.values()]
    waits += [r.then.max_wait_seconds for r in rs.rules if r.then.max_wait_seconds]
    return max(waits, default=600)


def last_resort(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    decision = Decision(action=TRANSFER, transfer_number=settings().fallback_number,
                        trace=({"rule": "last-resort", "matched": True,
                                "why": f"{call.provider} full or over its wait after overflow"},))
    prompts.say(resp, call.language, "overflow")
    return transfer(resp, call, decision)


def safe_route(language: str = "en", state: dict[str, Any] | None = None) -> VoiceResponse:
    """The route of last resort: apologise and queue for the safe-route provider.

    It touches neither the session store nor the database, so it works when they do not.
    `state` (the call's facts, when known) rides on the queue's action URL, so the next
    step still knows, for one, that this call's queue already failed once.
    """
    dep = data_files()
    provider = dep.providers[dep.safe_route_provider]
    resp = VoiceResponse()
    prompts.say(resp, language, "error_route")
    return enqueue_verb(resp, state or {}, provider.id, provider.queue)



def safe_route_here(known: dict[str, str] | None = None) -> VoiceResponse:
    """The safe route in the caller's language, when the URL carries it (every fallback),
    or `known`: facts the failed step's own request carries (the language just chosen).

    The fallback won (a view given up on is refused its commit), so the route recorded is
    this one: the safe route's provider, with the facts the URL carries, journaled (no
    database wait). Without it a call shed at /voice/need had no routed record at all, and
    with Redis away too, nothing else knew its language and region.
    """
    from flask import request

    from ivr.call_state import STATE_PARAMS

    state: dict[str, Any] = {k: v for k, v in request.args.items() if k in STATE_PARAMS}
    state.update(known or {})
    resp = safe_route(prompts.spoken(state.get("l")), state)
    if state:
        record_safe_route(request.form.get("CallSid", ""), state)
    return resp


def record_safe_route(call_sid: object, state: dict[str, Any]) -> None:
    if not isinstance(call_sid, str) or not call_sid.strip():
        return
    try:
        call = CallSession(call_sid=call_sid.strip()[:64])
        apply_url_state(call, state)
        call.provider = data_files().safe_route_provider
        call.queue = data_files().providers[call.provider].queue
        call.enqueued_at = call.enqueued_at or now().timestamp()
        records.record_routed(call, now(), journal=True)
    except Exception:  # a fallback must answer whatever happens here
        log.exception("could not journal the safe route's record")
