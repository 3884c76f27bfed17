"""A warm transfer to another region's specialist (#12): the consult, on the consulted side.

The specialist with the caller asks for a warm transfer to a provider
(`call_controls.consult`): one of that provider's specialists who is waiting for a caller
is reserved, the caller put on hold, and the waiting specialist's leg REST-redirected
here. They hear who is consulting and about whom (the caller's own context, as a whisper),
get the caller's screen pop, and join the caller's conference. The two specialists talk
while the caller hears music; `transfer/complete` hands the call over (the live call
becomes the consulted specialist's, who ends it with * as any call), and a consulted
specialist who leaves first leaves the caller with the one who asked, off hold.
"""

from __future__ import annotations

from flask import Blueprint, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from config.clock import now
from config.extensions import deployment, store
from ivr import agent, call_controls, call_extras, idle_agents, prompts, screen_pop
from ivr.calls import best_effort, load_call
from ivr.conference_state import LiveCall, LiveCalls, conference_name
from ivr.roster import OnDuty
from ivr.webhook import form, webhook
from ivr.whisper import pop_event, whisper_text

bp = Blueprint("consult", __name__, url_prefix="/agent")


def consulted(resp: VoiceResponse, on_duty: OnDuty) -> VoiceResponse:
    """Into the caller's conference, from the URL alone: the caller is on hold, waiting
    for this consult, whatever could not be read."""
    dial = resp.dial(action=url_for("consult.done", cs=request.args.get("cs", ""),
                                    ap=on_duty.provider, sp=on_duty.id),
                     method="POST", hangup_on_star=True)
    dial.conference(conference_name(request.args.get("cs", "")), participant_label="consult",
                    beep=False, start_conference_on_enter=True, end_conference_on_exit=False)
    return resp


def join_fallback() -> VoiceResponse:
    on_duty = agent.on_duty_arg()
    if on_duty is None or not request.args.get("cs"):
        return agent.idle_fallback()
    return consulted(VoiceResponse(), on_duty)


@bp.post("/consult")
@webhook(fallback=join_fallback, shed=False)
def join() -> VoiceResponse:
    """The waiting specialist, redirected by a colleague's consult."""
    on_duty, agent_sid = agent.on_duty_arg(), form("CallSid")
    if on_duty is None:
        return agent.agent_fallback()
    with best_effort():
        idle_agents.release(store(), agent_sid)
    live = LiveCalls(store()).get(request.args.get("cs", ""))
    if not for_this_consult(live, agent_sid):
        resp = VoiceResponse()
        prompts.say(resp, "en", "agent_consult_gone")
        return agent.next_for(resp, on_duty, agent_sid)
    assert live is not None and live.transfer is not None
    live.transfer["answered"] = True
    LiveCalls(store()).save(live)
    call_extras.transfer_ended(live.caller_sid, "answered", now())
    call = load_call(live.caller_sid)
    with best_effort():
        screen_pop.publish(store(), on_duty.id, pop_event(call, None))
    asking = deployment().providers.get(request.args.get("fp", ""))
    call_controls.tell(live, "transfer", "done",
                       f"A specialist at {deployment().providers[on_duty.provider].name} joined: "
                       "consult, then complete the transfer.")
    resp = VoiceResponse()
    prompts.say(resp, "en", "agent_consult", provider=asking.name if asking else "a colleague",
                whisper=whisper_text(call))
    return consulted(resp, on_duty)


def for_this_consult(live: LiveCall | None, agent_sid: str) -> bool:
    return (live is not None and not live.ended_at and live.transfer is not None
            and live.transfer.get("target_kind") == "provider"
            and live.transfer.get("sid") == agent_sid)


def done_fallback() -> VoiceResponse:
    return agent.after_call_fallback()


@bp.post("/consult-done")
@webhook(fallback=done_fallback, shed=False)
def done() -> VoiceResponse:
    """The consulted specialist's conference ended for them. Handed the call, they ended it
    (as after any call: its talk time, then the next caller). Left while consulting: the
    caller comes off hold with the specialist who asked, whose page is told."""
    agent_sid = form("CallSid")
    live = None
    with best_effort():
        live = LiveCalls(store()).get(request.args.get("cs", ""))
    if live is not None and live.agent_sid == agent_sid:
        return agent.after_call_answer(VoiceResponse())
    if live is not None and for_this_consult(live, agent_sid):
        live.transfer = None
        LiveCalls(store()).save(live)
        call_controls.owe_control(live, {"op": "hold", "on": False,
                                         "conference_sid": live.conference_sid})
        call_controls.tell(live, "transfer", "done",
                           "The consulted specialist left: back with the caller.")
    return agent.after_call_answer(VoiceResponse(), talk=False)
