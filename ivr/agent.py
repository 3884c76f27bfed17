"""The specialists' side: dial in, hear who is next, take the longest-waiting caller.

A specialist's phone is recognised by its number. `/agent/incoming` whispers the next
caller's context and dials the provider's queue; Twilio then runs `/agent/connect` on the
caller's leg, where the two calls are linked, the record updated and the screen pop sent.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from config import durable, outbox
from config.clock import now
from config.database import db_session
from config.extensions import deployment, settings, store
from ivr import callback_voice, callbacks, conference, idle_agents, prompts, records, screen_pop
from ivr.calls import best_effort, best_effort_shared, database_allowed, figures, load_call, save_call
from ivr.metrics import degraded
from ivr.roster import Lookup, OnDuty, Roster
from ivr.webhook import empty, form, form_float, webhook
from ivr.whisper import pop_event, spoken_duration, whisper_text
from routing.service import provider as routed_provider

bp = Blueprint("agent", __name__, url_prefix="/agent")
AGENT_CALL_TTL = 12 * 3600


def roster() -> Roster:
    return current_app.extensions["roster"]


def goodbye_agent() -> VoiceResponse:
    """Only for a number the database itself says is not an active specialist."""
    resp = VoiceResponse()
    prompts.say(resp, "en", "agent_unknown")
    resp.hangup()
    return resp


def agent_fallback() -> VoiceResponse:
    """When /agent/incoming fails (and Twilio's fallback URL for the specialists' number):
    a specialist this worker knows goes to their provider's queue, with neither store nor
    database; a number it does not know hears that the line could not be checked (never
    the false "not registered"), since an unknown number must not be handed callers."""
    known = roster().known(form("From"))
    if known is None:
        resp = VoiceResponse()
        prompts.say(resp, "en", "agent_unchecked")
        resp.hangup()
        return resp
    return dial_queue(VoiceResponse(), known)


def find_specialist(number: str) -> Lookup:
    """The active specialist dialing in from this number (see `ivr.roster`)."""
    return roster().lookup(number)


@bp.post("/incoming")
@webhook(fallback=agent_fallback)
def incoming() -> VoiceResponse:
    found = find_specialist(form("From"))
    agent_sid = form("CallSid")
    if found.specialist is None:
        if not found.sure:
            degraded("database")
        return goodbye_agent() if found.sure else agent_fallback()
    specialist = found.specialist
    provider = routed_provider(specialist.provider)
    if agent_sid:
        with best_effort(), store().batch() as writes:  # who this leg is, and signed in
            writes.set_json(f"agentcall:{agent_sid}", {"specialist_id": specialist.id,
                                                       "provider": provider.id}, ttl=AGENT_CALL_TTL)
            figures(writes).specialist_signed_in(provider.id, agent_sid, now().timestamp())
    return next_for(VoiceResponse(), OnDuty(specialist.id, provider.id), agent_sid, first=True)


def next_for(resp: VoiceResponse, on_duty: OnDuty, agent_sid: str,
             first: bool = False) -> VoiceResponse:
    """The specialist's next call: a callback owed, else the caller at the head of the line
    claimed and joined in a conference, else a short wait and a look again (`idle`).
    Without the store (no claim), Twilio's <Dial><Queue> bridges directly.
    A waiting specialist whom a consult or a wake has taken (`ivr.idle_agents`) waits for
    its redirect instead."""
    if not first and not looks_again(on_duty, agent_sid):
        return wait_for_redirect(resp, on_duty)
    claimed = claim_callback(on_duty)
    if claimed is not None:
        return dial_callback(resp, claimed, on_duty)
    try:
        caller = conference.claim_caller(on_duty, agent_sid)
    except conference.NoClaim:
        with best_effort():
            whisper(resp, on_duty.provider)
        return dial_queue(resp, on_duty, idle_timeout(on_duty.provider))
    if caller is not None:
        return conference.specialist_joins(resp, *caller)
    if first:
        prompts.say(resp, "en", "agent_no_caller")
    if agent_sid:  # reachable for a consult or a wake until the next look (one round trip)
        with best_effort(), store().batch() as writes:
            idle_agents.mark_waiting(writes, idle_agents.IdleAgent(
                agent_sid, on_duty.id, on_duty.provider), now().timestamp())
    # (at most 30 s, so a callback retry that falls due is taken within that: no database
    # read per look for when it is due)
    return look_again(resp, on_duty, settings().idle_poll_seconds)


def look_again(resp: VoiceResponse, on_duty: OnDuty, seconds: int) -> VoiceResponse:
    resp.pause(length=seconds)
    resp.redirect(url_for("agent.idle", ap=on_duty.provider, sp=on_duty.id), method="POST")
    return resp


def looks_again(on_duty: OnDuty, agent_sid: str) -> bool:
    """The waiting mark off as the look begins; False: a consult or a wake has them."""
    if not agent_sid:
        return True
    with best_effort():
        return idle_agents.looks_again(store(), on_duty.provider, agent_sid)
    return True


REDIRECT_WAIT = 3  # seconds: a reservation's redirect lands within this; past it, look again


def wait_for_redirect(resp: VoiceResponse, on_duty: OnDuty) -> VoiceResponse:
    """A consult (into its conference) or a wake (to look now) is about to redirect them."""
    return look_again(resp, on_duty, REDIRECT_WAIT)


def on_duty_arg() -> OnDuty | None:
    """Who the specialist is, from the URL our own TwiML gave Twilio."""
    specialist, provider = request.args.get("sp", ""), request.args.get("ap", "")
    if not specialist.isdigit() or provider not in deployment().providers:
        return None
    return OnDuty(int(specialist), provider)


def idle_fallback() -> VoiceResponse:
    """Whatever failed, a waiting specialist stays on: their queue, from the URL alone."""
    return after_call_fallback()


@bp.post("/idle")
@webhook(fallback=idle_fallback, shed=False)
def idle() -> VoiceResponse:
    """A specialist waiting for a caller looks again (every `idle_poll_seconds`)."""
    on_duty = on_duty_arg()
    if on_duty is None:
        return agent_fallback()
    resp = VoiceResponse()
    if request.args.get("woken"):  # a wake's redirect (`ivr.wake`): its reservation is done
        with best_effort():
            idle_agents.release(store(), form("CallSid"))
    if request.args.get("missed"):
        prompts.say(resp, "en", "agent_missed_caller")
    return next_for(resp, on_duty, form("CallSid"))


def idle_timeout(provider: str) -> int:
    """How long to wait on an empty queue: the longest, unless a callback falls due sooner
    (a retry), which the specialist must not miss by waiting on the queue past it."""
    if not database_allowed():
        return QUEUE_DIAL_TIMEOUT
    try:
        due = callbacks.next_due(db_session(), provider)
    except Exception as err:
        if not durable.is_unavailable(err):
            raise
        return QUEUE_DIAL_TIMEOUT
    if due is None:
        return QUEUE_DIAL_TIMEOUT
    seconds = (due - now()).total_seconds() + 1
    return int(min(QUEUE_DIAL_TIMEOUT, max(MIN_IDLE_TIMEOUT, seconds)))


def claim_callback(on_duty: OnDuty) -> callbacks.Claimed | None:
    """The oldest owed callback that joined before the head of the Twilio queue, claimed
    for this specialist, with the call back owed (placed once the claim is committed).
    Without the store or the database: none (the queue's callers are not kept waiting)."""
    if not database_allowed():
        degraded("database")
        return None
    with best_effort_shared():
        head = figures().head(on_duty.provider)
        claimed = callbacks.claim_next(db_session(), store(), on_duty.provider,
                                       head[1] if head else None, on_duty.id, now())
        if claimed is not None:
            outbox.owe(db_session(), callback_voice.PLACE,
                       {"id": claimed.id, "attempt": claimed.attempt}, now())
        return claimed
    return None


def dial_callback(resp: VoiceResponse, claimed: callbacks.Claimed,
                  on_duty: OnDuty) -> VoiceResponse:
    """The whisper says it is a callback; then the specialist waits on the callback's own
    queue, which the callee joins once they have answered and pressed 1. Past the wait the
    Dial action (`callback_done`) puts the specialist on to the next caller."""
    prompts.say_text(resp, "en", callback_whisper(claimed))
    dial = resp.dial(action=url_for("agent.callback_done", ap=on_duty.provider,
                                    sp=on_duty.id, cbid=claimed.id),
                     method="POST", timeout=settings().callback_wait_seconds,
                     hangup_on_star=True)
    dial.queue(callback_voice.queue_name(claimed.id),
               url=url_for("agent.connect", sp=on_duty.id, ap=on_duty.provider),
               method="POST")
    return resp


def callback_whisper(claimed: callbacks.Claimed) -> str:
    dep = deployment()
    region = dep.regions[claimed.region].name_en if claimed.region in dep.regions else "region unknown"
    asked = round(now().timestamp() - claimed.accepted_at.timestamp()) if claimed.accepted_at else 0
    return prompts.text("en", "callback_whisper",
                        language=prompts.label("en", "languages", claimed.language),
                        interpreter="", region=region,
                        need="needs help with " + prompts.label("en", "needs", claimed.need or "other"),
                        waited=spoken_duration(asked))


def callback_done_fallback() -> VoiceResponse:
    """Whatever failed, the specialist goes on to their queue, never to silence."""
    return after_call_fallback()


@bp.post("/callback-done")
@webhook(fallback=callback_done_fallback, shed=False)
def callback_done() -> VoiceResponse:
    """The specialist's wait on a callback ended. Bridged: as after any call. Not: the try
    is counted (retried after the spacing, or given up and the number erased) and the
    specialist goes on to the next caller at once."""
    raw = request.args.get("cbid", "")
    cfg = settings()
    bridged = form("DialCallStatus") == "completed" and bool(form_float("DialCallDuration"))
    callback_id = int(raw) if raw.isdigit() else 0
    outcome = callbacks.attempt_ended(db_session(), callback_id,
                                      form("DialCallStatus") or "unknown", now(),
                                      cfg.callback_attempts, cfg.callback_retry_seconds)
    if outcome in ("completed", "failed"):
        with best_effort():
            figures().callback_done(request.args.get("ap", ""), callback_id)
    if bridged or outcome == "completed":
        return after_call_answer(VoiceResponse())
    resp = VoiceResponse()
    prompts.say(resp, "en", "callback_not_answered")
    on_duty = on_duty_arg()
    if on_duty is None:
        resp.redirect(url_for("agent.incoming"), method="POST")
        return resp
    return next_for(resp, on_duty, form("CallSid"))


# On an empty queue <Dial><Queue> waits until a caller joins or the Dial's timeout (Twilio's
# default 30 s, at most 600 s); a waiting specialist must not be dropped, so wait the longest.
QUEUE_DIAL_TIMEOUT = 600
MIN_IDLE_TIMEOUT = 30


def dial_queue(resp: VoiceResponse, specialist: OnDuty,
               timeout: int = QUEUE_DIAL_TIMEOUT) -> VoiceResponse:
    """Dial the provider's queue. Who the specialist is rides in the URLs, so the bridge
    records its specialist and the sign-out its queue even with the store away.

    `hangupOnStar`: the specialist ends a call with * and stays on the line, so both legs go
    on: the caller's Enqueue action (the survey), the specialist's Dial action (next caller).
    """
    provider = routed_provider(specialist.provider)
    dial = resp.dial(action=url_for("agent.after_call", ap=provider.id, sp=specialist.id),
                     method="POST", timeout=timeout, hangup_on_star=True)
    dial.queue(provider.queue, url=url_for("agent.connect", sp=specialist.id, ap=provider.id),
               method="POST")
    return resp


def whisper(resp: VoiceResponse, provider_id: str) -> None:
    """Tell the specialist who is next in line, before the bridge."""
    next_sid = figures().next_caller(provider_id)
    if next_sid is None:
        prompts.say(resp, "en", "agent_no_caller")
        return
    prompts.say_text(resp, "en", whisper_text(load_call(next_sid)))


def connect_fallback() -> VoiceResponse:
    """The caller is bridged whatever /agent/connect answers: when it fails, overruns or is
    shed, the answered record is kept from the request alone (straight to the journal,
    idempotent with the view's own write if that lands too)."""
    call_sid = form("CallSid")
    if call_sid:
        queue_provider = request.args.get("ap") or None
        raw = request.args.get("sp", "")  # the URL's, never the store's: it may be what hangs
        records.record_answered(records.kept_by_fallback(call_sid, queue_provider), now(),
                                form_float("QueueTime"), int(raw) if raw.isdigit() else None,
                                journal=True)
    return empty()


@bp.post("/connect")
@webhook(fallback=connect_fallback, shed=False)
def connect() -> VoiceResponse:
    """Runs on the caller's leg as the specialist dequeues them: link, record, screen pop.

    The caller is bridged whatever this answers, so it is recorded as answered even when
    the answer is late (`shed=False`), and the provider recorded is the one whose queue the
    specialist took the caller from (`ap`): the queue they were really in, even when the
    step that routed them answered its fallback (the safe route) instead.
    """
    call = load_call(form("CallSid"))
    if call.lost:  # the store lost the session: the record knows the caller's language
        records.recover_context(call)
    queue_provider = request.args.get("ap", "")
    if queue_provider in deployment().providers:
        call.provider = queue_provider
    specialist_id = specialist_arg()
    waited = form_float("QueueTime")
    if call.call_sid:
        call.answered_at = now().timestamp()
        records.record_answered(call, now(), waited, specialist_id)
    with best_effort(), store().batch() as writes:  # figures, session, screen pop: one trip
        if call.provider:
            figures(writes).caller_left(call.provider, call.call_sid, waited=waited or 0.0)
        if call.call_sid:
            save_call(call, writes)
        if specialist_id is not None:
            screen_pop.publish(writes, specialist_id, pop_event(call, waited))
        agent_sid = dequeuing_sid()
        if agent_sid and call.call_sid:  # whose talk time the specialist's Dial action gives
            writes.set_json(f"bridge:{agent_sid}", call.call_sid, ttl=AGENT_CALL_TTL)
    if call.call_sid and database_allowed():
        with best_effort():  # a claim another worker made on this caller is over
            conference.bridged_elsewhere(call.call_sid, dequeuing_sid())
    resp = VoiceResponse()
    prompts.say(resp, call.language, "connected_caller")
    return resp


def after_call_fallback() -> VoiceResponse:
    """When /agent/after-call fails, overruns or is shed: the specialist stays on their
    queue (who they are rides in the URL), rather than being hung up on mid-shift."""
    specialist, provider = request.args.get("sp", ""), request.args.get("ap", "")
    if specialist.isdigit() and provider:
        return dial_queue(VoiceResponse(), OnDuty(int(specialist), provider))
    return empty()


@bp.post("/after-call")
@webhook(fallback=after_call_fallback, shed=False)
def after_call() -> VoiceResponse:
    """The specialist's Dial ended: offer the next caller; silence signs them out.

    `no-answer` means the queue stayed empty for the whole Dial timeout: the specialist is
    still waiting, so they hear a short cue and dial the queue again, still signed in.
    """
    resp = VoiceResponse()
    waiting = still_waiting()
    if waiting is not None:
        prompts.say(resp, "en", "agent_still_waiting")
        return next_for(resp, waiting, form("CallSid"))
    return after_call_answer(resp)


def after_call_answer(resp: VoiceResponse, talk: bool = True) -> VoiceResponse:
    """A bridge ended: its talk time kept (not for a consult that was not handed over:
    the call goes on without this specialist), then "press 1 for the next caller"."""
    if talk:
        record_talk_time()
    gather: Gather = resp.gather(input="dtmf", num_digits=1, timeout=8,
                                 action=url_for("agent.incoming"), method="POST")
    prompts.say(gather, "en", "agent_next")
    with best_effort():
        sign_out(form("CallSid"), request.args.get("ap"))
    prompts.say(resp, "en", "goodbye")
    resp.hangup()
    return resp


@bp.post("/status")
@webhook(fallback=empty, shed=False)
def status() -> VoiceResponse:
    if form("CallStatus") in {"completed", "busy", "failed", "no-answer", "canceled"}:
        with best_effort():
            sign_out(form("CallSid"))
    return empty()


@bp.post("/fallback")
@webhook(fallback=agent_fallback)
def fallback() -> VoiceResponse:
    """Twilio's fallback URL for the specialists' number: see `agent_fallback`."""
    return agent_fallback()


def specialist_arg() -> int | None:
    """The specialist who dequeued this caller, from the URL our own TwiML gave Twilio;
    the store's record of the dial-in leg for a URL from before the roster carried it."""
    raw = request.args.get("sp", "")
    if raw.isdigit():
        return int(raw)
    agent_sid = dequeuing_sid()
    agent = None
    with best_effort():
        agent = store().get_json(f"agentcall:{agent_sid}") if agent_sid else None
    found = agent.get("specialist_id") if isinstance(agent, dict) else None
    return int(found) if isinstance(found, int) else None


def dequeuing_sid() -> str:
    """The specialist's leg, as Twilio names it on the `<Queue url>` request."""
    return form("DequeingCallSid") or form("DequeueingCallSid")


def record_talk_time() -> None:
    """The bridge ended: its talk time is from the caller's join to now for a conference
    (`cs`), the bridge's own length (DialCallDuration) for a queue bridge. The caller's
    status callback comes only after the survey, so it cannot tell it."""
    caller = request.args.get("cs", "")
    if caller:
        talk = conference.talk_ended(caller)
        if talk:
            records.record_talk(caller, talk)
            with best_effort():
                figures().talk_ended(request.args.get("ap", ""), talk)
        return
    duration = form_float("DialCallDuration")
    if form("DialCallStatus") != "completed" or not duration:
        return
    caller_sid = None
    with best_effort():
        caller_sid = store().get_json(f"bridge:{form('CallSid')}")
    caller_sid = caller_sid if isinstance(caller_sid, str) else form("DialCallSid")
    if caller_sid:
        records.record_talk(caller_sid, duration)
    provider = request.args.get("ap")
    if provider:
        with best_effort():
            figures().talk_ended(provider, duration)


def still_waiting() -> OnDuty | None:
    """The specialist whose Dial on an empty queue timed out (from the URL we gave Twilio)."""
    specialist, provider = request.args.get("sp", ""), request.args.get("ap", "")
    if form("DialCallStatus") != "no-answer" or not specialist.isdigit() or not provider:
        return None
    return OnDuty(int(specialist), provider)


def sign_out(agent_sid: str, provider: str | None = None) -> None:
    if not agent_sid:
        return
    if provider is None:
        agent = store().get_json(f"agentcall:{agent_sid}")
        provider = str(agent.get("provider")) if isinstance(agent, dict) else None
    if provider:
        with store().batch() as writes:  # off the board and out of the waiting: one round trip
            figures(writes).specialist_signed_out(provider, agent_sid)
            idle_agents.signed_out(writes, provider, agent_sid)
