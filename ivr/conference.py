"""Each answered call is a <Conference> named for the caller's call (#12).

Twilio's queue stays the holding place; the system decides who gets whom. A specialist who
dials in (or who is waiting, `ivr.agent.idle`) claims the caller at the head of their
provider's figures (`QueueFigures.claim_next`, atomic), hears a whisper about exactly that
caller and waits in the caller's conference; once the specialist is answered, the app asks
Twilio's REST API to redirect the caller's queued call to `/voice/join`, which joins them to
it. So the whisper and the screen pop describe the caller the specialist gets, and
conference controls (interpreter, transfers, hold, supervisors) have a conference to act on.

What keeps a caller from being stranded:
- the REST request runs off the webhook's thread once the claim has answered (an outbox
  `nudge`: no row, so a claim needs no database and specialists go on claiming through a
  database outage); it is tried once, and the caller's own hold step is its backstop: it
  sees the claim and leaves the queue for the conference by itself (`hold_step`), so a lost
  request costs one hold segment;
- a caller who hung up before the redirect (Twilio's 21220, or their status callback
  first) sends the specialist back to waiting, told so; a caller redirected to a
  conference the specialist already left is put back in line at their place (`/voice/join`);
- with the store away there is no claim (`NoClaim`): the specialist takes the old path,
  `<Dial><Queue>`, where Twilio bridges the head of the queue directly.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from flask import Blueprint, current_app, request, url_for
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import VoiceResponse

from config import outbox
from config.clock import now
from config.database import db_session
from config.deadline import commit_to_answer
from config.extensions import deployment, settings, store
from config.shared_store import DependencyDown
from ivr import call_controls, prompts, records, screen_pop
from ivr.call_state import url_state
from ivr.calls import best_effort, figures, load_call, save_call
from ivr.conference_state import LiveCall, LiveCalls, conference_name
from ivr.metrics import degraded
from ivr.roster import OnDuty
from ivr.routing_step import enqueue_verb
from ivr.session import CallSession
from ivr.webhook import after_answer, empty, form, undo_if_failed, webhook
from ivr.whisper import pop_event, whisper_text

log = logging.getLogger(__name__)
bp = Blueprint("conference", __name__)

BRING = "conference.bring"
CALL_GONE = {20404, 21220}  # Twilio: no such call / the call is not in progress
LEAVE_AFTER = 5.0  # seconds a claim is left to the REST redirect before the hold step acts


class NoClaim(Exception):
    """The claim needs the store: it is away."""


def live_calls(writes: Any = None) -> LiveCalls:
    return LiveCalls(store() if writes is None else writes)


def claim_caller(on_duty: OnDuty, agent_sid: str) -> tuple[LiveCall, CallSession] | None:
    """The head of the provider's line, claimed for this specialist, with the redirect sent
    once the specialist is answered. None: nobody waits. Raises NoClaim when the claim
    cannot be made or kept."""
    if settings().call_bridge != "conference" or not agent_sid:
        raise NoClaim
    try:
        claimed = figures().claim_next(on_duty.provider)
        if claimed is None:
            return None
        caller_sid, joined_queue = claimed
        call = load_call(caller_sid)
        if call.lost:  # the store lost the session: the record knows the caller's facts
            records.recover_context(call)
        try:
            commit_to_answer()  # past the budget the fallback answers: give the caller back
        except Exception:
            figures().relist(on_duty.provider, caller_sid, joined_queue)
            raise
        live = LiveCall(caller_sid, agent_sid, on_duty.id, on_duty.provider,
                        claimed_at=now().timestamp(), joined_queue_at=joined_queue)
        with store().batch() as writes:
            live_calls(writes).save(live)
            screen_pop.publish(writes, on_duty.id, pop_event(call, live.claimed_at - joined_queue))
        undo_if_failed(lambda: give_back(live))  # and no redirect sent if the view fails
    except DependencyDown as err:
        degraded("redis")
        raise NoClaim from err
    state = url_state(call)
    after_answer(partial(current_app.extensions["outbox"].nudge, partial(bring, {
        "caller_sid": caller_sid, "agent_sid": agent_sid, "sp": on_duty.id,
        "ap": on_duty.provider,
        "join": url_for("conference.join", **state, sp=on_duty.id, ap=on_duty.provider),
        "missed": url_for("agent.idle", ap=on_duty.provider, sp=on_duty.id, missed=1)})))
    return live, call


def give_back(live: LiveCall) -> None:
    """The claim's request failed (so no redirect is sent, and the specialist is answered
    the fallback): the caller back at their place in line, the live call gone, so their
    hold step does not lead them into a conference nobody will join."""
    figures().relist(live.provider, live.caller_sid, live.joined_queue_at)
    live_calls().drop(live.caller_sid)


def specialist_joins(resp: VoiceResponse, live: LiveCall, call: CallSession) -> VoiceResponse:
    """The whisper about the claimed caller, then the specialist waits in their conference.

    `hangupOnStar`: * leaves the conference and the specialist stays on the line (the Dial
    action offers the next caller); `endConferenceOnExit`: when the specialist leaves, the
    call is over for everyone (the caller's Dial action goes on to the survey)."""
    prompts.say_text(resp, "en", whisper_text(call))
    dial = resp.dial(action=url_for("agent.after_call", ap=live.provider, sp=live.specialist_id,
                                    cs=live.caller_sid),
                     method="POST", hangup_on_star=True)
    dial.conference(live.conference, participant_label="specialist", beep=False,
                    start_conference_on_enter=True, end_conference_on_exit=True,
                    status_callback=url_for("conference.events"), status_callback_method="POST",
                    status_callback_event="start end join leave hold unhold")
    return resp


def caller_joins(resp: VoiceResponse, caller_sid: str, language: str,
                 state: dict[str, Any]) -> VoiceResponse:
    prompts.say(resp, language, "connected_caller")
    dial = resp.dial(action=url_for("conference.done", **state), method="POST")
    dial.conference(conference_name(caller_sid), participant_label="caller", beep=False,
                    start_conference_on_enter=True, end_conference_on_exit=True)
    return resp


@outbox.handler(BRING, background=True)  # (rows owed by versions that owed the redirect)
def bring(payload: dict[str, Any]) -> None:
    """Redirect the claimed caller's queued call to their conference (REST, after the answer).
    A late one, after the caller joined or the claim was dropped, does nothing; one Twilio
    fails is left to the caller's hold step."""
    live = live_calls().get(str(payload["caller_sid"]))
    if live is None or live.joined_at or live.ended_at or live.agent_sid != payload["agent_sid"]:
        return
    client = current_app.extensions["twilio_client_factory"]()
    base = settings().public_base_url
    try:
        client.calls(live.caller_sid).update(url=base + str(payload["join"]), method="POST")
    except TwilioRestException as err:
        if err.code not in CALL_GONE:
            raise  # the caller's hold step leaves for the conference
        log.info("caller %s was gone before the redirect (%s)", live.caller_sid, err.code)
        live_calls().end(live, now().timestamp())
        client.calls(live.agent_sid).update(url=base + str(payload["missed"]), method="POST")


def caller_gone(caller_sid: str) -> None:
    """The caller's call has ended (their status callback): a claim on them that nobody
    joined is over, and its specialist, waiting in an empty conference, is sent back to
    waiting, told so (the redirect that would have found the caller gone may have been lost)."""
    live = live_calls().get(caller_sid)
    if live is None or live.joined_at or live.ended_at:
        return
    live_calls().end(live, now().timestamp())
    current_app.extensions["outbox"].nudge(partial(release, {
        "agent_sid": live.agent_sid,
        "missed": url_for("agent.idle", ap=live.provider, sp=live.specialist_id, missed=1)}))


RELEASE = "conference.release"


def bridged_elsewhere(caller_sid: str, agent_sid: str) -> None:
    """Twilio's <Dial><Queue> has just bridged this caller to `agent_sid` (a worker that
    could not claim, with the store or the database away): a claim another specialist made
    on them is over. Ended, so its owed redirect does nothing (it would pull the caller out
    of this bridge), and the claiming specialist, waiting in an empty conference, is sent
    back to waiting, told the caller was missed."""
    live = live_calls().get(caller_sid)
    if live is None or live.joined_at or live.ended_at or live.agent_sid == agent_sid:
        return
    live_calls().end(live, now().timestamp())
    outbox.owe(db_session(), RELEASE, {"agent_sid": live.agent_sid, "missed": url_for(
        "agent.idle", ap=live.provider, sp=live.specialist_id, missed=1)}, now())


@outbox.handler(RELEASE, background=True)
def release(payload: dict[str, Any]) -> None:
    client = current_app.extensions["twilio_client_factory"]()
    try:
        client.calls(str(payload["agent_sid"])).update(
            url=settings().public_base_url + str(payload["missed"]), method="POST")
    except TwilioRestException as err:
        if err.code not in CALL_GONE:
            raise
        log.info("specialist %s was gone before the release (%s)", payload["agent_sid"], err.code)


def hold_step(call: CallSession, provider: str) -> bool:
    """The hold step, with one read of the live call: True when a claimed caller whose
    redirect is late should leave the queue for their conference by themselves; otherwise a
    caller in Twilio's queue whom the figures lost (Redis restarted empty; the safe route,
    which writes nothing) is listed again, so a specialist claims them."""
    if not call.call_sid:
        return False
    with best_effort():
        live = live_calls().get(call.call_sid)
        if live is not None:
            return (not live.joined_at and not live.ended_at
                    and now().timestamp() - live.claimed_at >= LEAVE_AFTER)
        if provider in deployment().providers and figures().position(
                provider, call.call_sid) is None:
            figures().caller_enqueued(provider, call.call_sid,
                                      call.enqueued_at or now().timestamp())
    return False


def join_after_leave(resp: VoiceResponse, call: CallSession) -> VoiceResponse | None:
    """The Enqueue action after the hold step's <Leave/> for a claim: on to /voice/join."""
    live = None
    with best_effort():
        live = live_calls().get(call.call_sid)
    if live is None or live.joined_at or live.ended_at:
        return None
    resp.redirect(url_for("conference.join", **url_state(call), sp=live.specialist_id,
                          ap=live.provider), method="POST")
    return resp


def join_fallback() -> VoiceResponse:
    """/voice/join failed: the specialist waits in the conference, so join it all the same,
    with the answered record journaled from the request alone (as `agent.connect_fallback`)."""
    call_sid = form("CallSid")
    state = {k: v for k, v in request.args.items() if k not in {"sp", "ap"}}
    if not call_sid:
        return empty()
    raw = request.args.get("sp", "")
    records.record_answered(records.kept_by_fallback(call_sid, request.args.get("ap") or None),
                            now(), None, int(raw) if raw.isdigit() else None, journal=True)
    return caller_joins(VoiceResponse(), call_sid, prompts.spoken(state.get("l")), state)


@bp.post("/voice/join")
@webhook(fallback=join_fallback, shed=False)
def join() -> VoiceResponse:
    """The claimed caller, redirected out of the queue: answered, into the conference."""
    call = load_call(form("CallSid"))
    if call.lost:
        records.recover_context(call)
    provider, raw = request.args.get("ap", ""), request.args.get("sp", "")
    live = None
    with best_effort():
        live = live_calls().get(call.call_sid)
    if provider in deployment().providers:
        call.provider = provider
    if (live is not None and live.ended_at) or (live is None and not raw.isdigit()):
        # the specialist left before the caller got there; or nobody is known to be waiting
        # (no live call and no specialist in the URL, which our own redirect always names)
        return back_in_line(VoiceResponse(), call)
    # (no live call at all: the store lost it; the specialist the URL names is waiting)
    at = now().timestamp()
    waited = at - (call.enqueued_at or (live.joined_queue_at if live else at))
    call.answered_at = at
    specialist = int(raw) if raw.isdigit() else (live.specialist_id if live else None)
    records.record_answered(call, now(), waited, specialist)
    with best_effort(), store().batch() as writes:
        if call.provider:
            figures(writes).caller_left(call.provider, call.call_sid, waited=waited)
        save_call(call, writes)
        if live is not None:
            live.joined_at = at
            live_calls(writes).save(live)
    return caller_joins(VoiceResponse(), call.call_sid, call.language, url_state(call))


def back_in_line(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    """Into the provider's queue again, at the place they had (never a dead end)."""
    provider = deployment().providers.get(call.provider or "") or deployment().providers[
        deployment().safe_route_provider]
    with best_effort():
        figures().relist(provider.id, call.call_sid, call.enqueued_at or now().timestamp())
    return enqueue_verb(resp, url_state(call), provider.id, provider.queue)


def done_fallback() -> VoiceResponse:
    resp = VoiceResponse()
    prompts.say(resp, "en", "goodbye")
    return resp


@bp.post("/voice/conference-done")
@webhook(fallback=done_fallback)
def done() -> VoiceResponse:
    """The caller's conference ended (the specialist left, or hung up): the survey."""
    if form("DialCallStatus") in {"failed", "busy", "no-answer", "canceled"}:
        return back_in_line(VoiceResponse(), load_call(form("CallSid")))
    return after_specialist(VoiceResponse())


def after_specialist(resp: VoiceResponse) -> VoiceResponse:
    """After the specialist (a conference or a queue bridge): on to the survey with the
    call's facts, which ride in the URL; a caller with an interpreter (who could not answer
    an English or French survey) is thanked by the specialist and hung up on."""
    if request.args.get("i"):
        resp.hangup()
        return resp
    facts: dict[str, Any] = request.args.to_dict()  # the call's facts go on to the survey
    resp.redirect(url_for("survey.start", **facts), method="POST")
    return resp


@bp.post("/agent/conference-events")
@webhook(fallback=empty, shed=False)
def events() -> VoiceResponse:
    """Twilio's conference events: the conference's SID, kept for the call controls."""
    name, conference_sid = form("FriendlyName"), form("ConferenceSid")
    if not name.startswith("call-") or not conference_sid:
        return empty()
    event, label = form("StatusCallbackEvent"), form("ParticipantLabel")
    with best_effort():
        live = live_calls().get(name.removeprefix("call-"))
        if live is None:
            return empty()
        live.conference_sid = conference_sid
        if event == "participant-join" and label in {"caller", "specialist"}:
            setattr(live, f"{label}_in", now().timestamp())
        if label == "caller" and event in {"participant-hold", "participant-unhold"}:
            call_controls.caller_held(live, event)
        live_calls().save(live)
    return empty()


def talk_ended(caller_sid: str) -> float | None:
    """The specialist's conference ended: the live call is over; the talk time is from the
    caller's join (the whisper and the wait for the redirect are not talk)."""
    live = None
    with best_effort():
        live = live_calls().get(caller_sid)
        if live is not None:
            live_calls().end(live, now().timestamp())
    start = None if live is None else live.talk_from
    return None if start is None else max(0.0, now().timestamp() - start)
