"""Call controls on a live conference (#12): interpreter, hold, transfers, crisis, supervisors.

A specialist's page (or a supervisor's board) asks; the API checks the call is live and
theirs and the input sound, records what it asks in the live call, and owes the REST
requests to the outbox (background: a slow Twilio never holds up the page or a webhook).
Twilio's answers come back as webhooks: a participant's status callback (answered, not
answered, gone) and the conference's events (hold, unhold, join, leave). Those are what is
recorded (`ivr.call_extras`) and told to the specialist's page (a screen-pop event of type
"control"). A request Twilio refuses is told the same way, and the call stays as it was.

- interpreter: the vendor's line is called into the conference, its access and language
  codes sent as DTMF once it answers;
- hold: the caller's participant held (music) or back;
- transfer: warm (the caller on hold while the specialist consults the far end, then
  `complete` hands over: the specialist leaves, the caller stays with the far end) or cold
  (handed over as soon as the far end answers); to a number, a configured line, the crisis
  line (the call is flagged) or another provider: cold, the caller waits in that provider's
  queue; warm, a specialist of that provider who is waiting for a caller (`ivr.idle_agents`)
  is brought into the conference to consult (`ivr.consult`), and `complete` hands the call
  to them. A far end that does not answer leaves the caller with the specialist, off hold;
- supervise: a supervisor's phone joins muted (listen), coaching the specialist (whisper)
  or as a participant (barge).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from flask import Blueprint, current_app, g, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import VoiceResponse

from accounts.auth import api_error, api_role_required
from config import outbox
from config.api_schema import accepts
from config.call_lines import dtmf_for, is_dialable, line_number
from config.clock import now
from config.database import commit, db_session
from config.extensions import deployment, settings, store
from config.shared_store import DependencyDown
from ivr import call_extras, idle_agents, prompts, records, screen_pop, wake
from ivr.call_state import url_state
from ivr.calls import figures, load_call, save_call
from ivr.conference_state import LiveCall, LiveCalls, conference_name
from ivr.models import CRISIS_VIA_SPECIALIST
from ivr.routing_step import enqueue_verb, safe_route_here
from ivr.webhook import empty, form, webhook

log = logging.getLogger(__name__)
bp = Blueprint("call_controls", __name__)
CONTROL = "call.control"
NOT_ANSWERED = {"busy", "no-answer", "failed", "canceled"}


class InterpreterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    language: str = Field(min_length=2, max_length=8, description="an interpreter language code")


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: bool


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: Literal["warm", "cold"] = "warm"
    target_kind: Literal["number", "provider", "line", "crisis"]
    target: str = Field("", max_length=40)


class SuperviseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    mode: Literal["listen", "whisper", "barge"]
    phone: str = Field(min_length=3, max_length=20)


class Refused(Exception):
    """Input the call controls turn down: an HTTP status and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def live_for(caller_sid: str, supervisor: bool = False) -> LiveCall:
    """The live call, if it is this user's (or any, for a supervisor); else Refused."""
    try:
        live = LiveCalls(store()).get(caller_sid)
    except DependencyDown as err:
        raise Refused(503, "live calls are unavailable just now; try again") from err
    if live is None or live.ended_at:
        raise Refused(404, f"no live call {caller_sid!r} (it ended, or never was)")
    user = g.api_user
    if not (supervisor or user.has_role("admin") or user.specialist_id == live.specialist_id):
        raise Refused(403, "this call is not yours")
    return live


def act(caller_sid: str, work: Any, supervisor: bool = False) -> Any:
    """Run one control: the checks, the live call's new state, the REST owed; a 4xx for
    input turned down, with the call left as it was."""
    try:
        live = live_for(caller_sid, supervisor)
        payload = work(live)
    except Refused as err:
        return api_error(err.status, err.reason)
    LiveCalls(store()).save(live)
    outbox.owe(db_session(), CONTROL, payload | {"caller_sid": caller_sid}, now())
    commit(db_session())
    return jsonify({"status": "requested", "action": payload["op"]}), 202


def callback_url(live: LiveCall, role: str, **extra: Any) -> str:
    return url_for("call_controls.participant_status", cs=live.caller_sid, role=role, **extra)


@bp.post("/api/calls/<caller_sid>/interpreter")
@api_role_required("specialist", "admin")
@accepts(body=InterpreterIn)
def interpreter(caller_sid: str, body: InterpreterIn) -> Any:
    def work(live: LiveCall) -> dict[str, Any]:
        if body.language in {"en", "fr"}:
            raise Refused(400, "English and French callers need no interpreter")
        vendor = next((v for v in deployment().call_lines.vendors.values()
                       if body.language in v.languages), None)
        if vendor is None:
            raise Refused(400, f"no interpreter vendor has the language {body.language!r}")
        if any(i["language"] == body.language for i in live.interpreters):
            raise Refused(409, f"an interpreter for {body.language!r} is already asked for")
        live.interpreters.append({"vendor": vendor.id, "language": body.language, "sid": None})
        return {"op": "call", "to": vendor.phone, "label": "interpreter",
                "send_digits": dtmf_for(vendor, body.language),
                "status_callback": callback_url(live, "interpreter", v=vendor.id,
                                                lang=body.language)}

    return act(caller_sid, work)


@bp.post("/api/calls/<caller_sid>/hold")
@api_role_required("specialist", "admin")
@accepts(body=HoldIn)
def hold(caller_sid: str, body: HoldIn) -> Any:
    def work(live: LiveCall) -> dict[str, Any]:
        if not live.conference_sid:
            raise Refused(409, "the conference has not started yet")
        if body.on == bool(live.hold_since):
            raise Refused(409, "the caller is already on hold" if body.on
                          else "the caller is not on hold")
        return {"op": "hold", "on": body.on, "conference_sid": live.conference_sid}

    return act(caller_sid, work)


def transfer_number(live: LiveCall, body: TransferIn) -> str:
    if body.target_kind == "crisis":
        return settings().crisis_line_number
    if body.target_kind == "line":
        line = deployment().call_lines.lines.get(body.target)
        if line is None:
            raise Refused(400, f"no configured line {body.target!r}")
        return line_number(line, settings().crisis_line_number)
    if not is_dialable(body.target):
        raise Refused(400, f"{body.target!r} is not a phone number (E.164, e.g. +14165550123)")
    return body.target


@bp.post("/api/calls/<caller_sid>/transfer")
@api_role_required("specialist", "admin")
@accepts(body=TransferIn)
def transfer(caller_sid: str, body: TransferIn) -> Any:
    def work(live: LiveCall) -> dict[str, Any]:
        if live.transfer is not None:
            raise Refused(409, "a transfer is already in progress")
        if not live.conference_sid:
            raise Refused(409, "the conference has not started yet")
        at = now()
        if body.target_kind == "provider":
            if body.target not in deployment().providers:
                raise Refused(400, f"no provider {body.target!r}")
            if body.kind == "warm":
                return consult(live, body.target)
            call_extras.transfer_started(live.caller_sid, "cold", "provider", body.target, at)
            live.transfer = {"kind": "cold", "target_kind": "provider", "target": body.target,
                             "sid": None, "answered": True}
            return {"op": "requeue", "url": url_for("call_controls.requeue", p=body.target)}
        number = transfer_number(live, body)
        if body.target_kind == "crisis":
            live.crisis = True
            call_extras.mark_crisis(live.caller_sid, CRISIS_VIA_SPECIALIST)
        call_extras.transfer_started(live.caller_sid, body.kind, body.target_kind,
                                     body.target or number, at)
        live.transfer = {"kind": body.kind, "target_kind": body.target_kind,
                         "target": body.target or number, "sid": None, "answered": False}
        return {"op": "call", "to": number, "label": "transfer", "hold_caller": True,
                "conference_sid": live.conference_sid,
                "status_callback": callback_url(live, "transfer", kind=body.kind)}

    return act(caller_sid, work)


def consult(live: LiveCall, provider_id: str) -> dict[str, Any]:
    """A warm transfer to another provider: one of its specialists who is waiting for a
    caller is reserved and, after the commit, redirected into this conference."""
    provider = deployment().providers[provider_id]
    colleague = idle_agents.take(store(), provider_id, live.caller_sid, now().timestamp(),
                                 stale_after=wake.stale_after())
    if colleague is None:
        raise Refused(409, f"no specialist at {provider.name} is free to consult just now; "
                           "a cold transfer puts the caller in their line")
    call_extras.transfer_started(live.caller_sid, "warm", "provider", provider_id, now())
    live.transfer = {"kind": "warm", "target_kind": "provider", "target": provider_id,
                     "sid": colleague.agent_sid, "answered": False,
                     "specialist_id": colleague.specialist_id}
    return {"op": "consult", "label": "transfer", "hold_caller": True,
            "conference_sid": live.conference_sid, "agent_sid": colleague.agent_sid,
            "url": url_for("consult.join", cs=live.caller_sid, sp=colleague.specialist_id,
                           ap=provider_id, fp=live.provider)}


@bp.post("/api/calls/<caller_sid>/transfer/complete")
@api_role_required("specialist", "admin")
def complete(caller_sid: str) -> Any:
    def work(live: LiveCall) -> dict[str, Any]:
        if live.transfer is None or not live.transfer.get("answered") or not live.transfer["sid"]:
            raise Refused(409, "no answered transfer to hand over")
        if live.transfer["target_kind"] == "provider":
            return hand_to_colleague(live)
        return hand_over(live)

    return act(caller_sid, work)


def hand_over(live: LiveCall) -> dict[str, Any]:
    """The hand-over's requests; from now the far end's hang-up ends the call (it is not a
    transfer to come back from)."""
    assert live.transfer is not None
    live.transfer["handed"] = True
    return {"op": "hand_over", "conference_sid": live.conference_sid, "agent_sid": live.agent_sid,
            "far_sid": live.transfer["sid"],
            "after": url_for("agent.after_call", ap=live.provider, sp=live.specialist_id,
                             cs=live.caller_sid)}


def hand_to_colleague(live: LiveCall) -> dict[str, Any]:
    """The consulted specialist takes the call over: the live call is theirs from now (their
    page's controls, the board, the talk time when they end it); the one handing over goes
    on to their next caller, the call not ended for them (no `cs`). Undone if Twilio refuses."""
    assert live.transfer is not None
    restore = {"agent_sid": live.agent_sid, "specialist_id": live.specialist_id,
               "provider": live.provider, "transfer": dict(live.transfer)}
    payload = hand_over(live) | {
        "after": url_for("agent.after_call", ap=live.provider, sp=live.specialist_id),
        "restore": restore}
    live.agent_sid = live.transfer["sid"]
    live.specialist_id = int(live.transfer["specialist_id"])
    live.provider = live.transfer["target"]
    live.transfer = None
    return payload


@bp.post("/api/calls/<caller_sid>/transfer/cancel")
@api_role_required("specialist", "admin")
def cancel(caller_sid: str) -> Any:
    def work(live: LiveCall) -> dict[str, Any]:
        if live.transfer is None:
            raise Refused(409, "no transfer in progress")
        far = live.transfer.get("sid")
        call_extras.transfer_ended(live.caller_sid, "canceled", now())
        live.transfer = None
        return {"op": "cancel", "far_sid": far, "conference_sid": live.conference_sid}

    return act(caller_sid, work)


@bp.post("/api/calls/<caller_sid>/supervise")
@api_role_required("supervisor", "admin")
@accepts(body=SuperviseIn)
def supervise(caller_sid: str, body: SuperviseIn) -> Any:
    def work(live: LiveCall) -> dict[str, Any]:
        if not is_dialable(body.phone):
            raise Refused(400, f"{body.phone!r} is not a phone number")
        coach = live.agent_sid if body.mode == "whisper" else ""
        on_line = live.supervisors.get(body.phone)
        if on_line:  # already listening (or whispering, or in): the same call, another mode
            return {"op": "supervise_mode", "conference_sid": live.conference_sid,
                    "sid": on_line, "mode": body.mode, "coach": coach}
        return {"op": "call", "to": body.phone, "label": "supervisor", "mode": body.mode,
                "coach": coach, "status_callback": callback_url(live, "supervisor", ph=body.phone)}

    return act(caller_sid, work, supervisor=True)


# -- the REST requests, after the commit ---------------------------------------------------


def tell(live: LiveCall, action: str, result: str, message: str) -> None:
    """The specialist's page hears how a control went (a screen-pop event)."""
    try:
        screen_pop.publish(store(), live.specialist_id, {
            "type": "control", "call_sid": live.caller_sid, "action": action, "result": result,
            "message": message, "at": now().isoformat()})
    except DependencyDown:
        log.warning("control %s on %s: %s (not told: store away)", action, live.caller_sid, result)


def conference_twiml(caller_sid: str, label: str, mode: str = "", coach: str = "") -> str:
    resp = VoiceResponse()
    dial = resp.dial()
    dial.conference(conference_name(caller_sid), participant_label=label, beep=False,
                    start_conference_on_enter=True, end_conference_on_exit=False,
                    muted=mode == "listen" or None, coach=coach or None)
    return str(resp)


def perform(client: Any, payload: dict[str, Any]) -> None:
    """One control's REST requests, as Twilio's API takes them."""
    cfg, caller, op = settings(), payload["caller_sid"], payload["op"]
    base = cfg.public_base_url
    conference = payload.get("conference_sid")
    if op == "call":
        if payload.get("hold_caller"):
            client.conferences(conference).participants(caller).update(
                hold=True, hold_url=cfg.hold_music_url, hold_method="GET")
        client.calls.create(
            to=payload["to"], from_=cfg.twilio_from_number, timeout=25,
            twiml=conference_twiml(caller, payload["label"], payload.get("mode", ""),
                                   payload.get("coach", "")),
            send_digits=payload.get("send_digits") or None,
            status_callback=base + payload["status_callback"], status_callback_method="POST",
            status_callback_event=["answered", "completed"])
    elif op == "hold":
        client.conferences(conference).participants(caller).update(
            hold=payload["on"], hold_url=cfg.hold_music_url, hold_method="GET")
    elif op == "hand_over":
        client.conferences(conference).participants(caller).update(hold=False)
        client.conferences(conference).participants(payload["far_sid"]).update(
            end_conference_on_exit=True)
        client.conferences(conference).participants(payload["agent_sid"]).update(
            end_conference_on_exit=False)
        client.calls(payload["agent_sid"]).update(url=base + payload["after"], method="POST")
    elif op == "supervise_mode":
        client.conferences(conference).participants(payload["sid"]).update(
            muted=payload["mode"] == "listen", coaching=payload["mode"] == "whisper",
            call_sid_to_coach=payload["coach"] or None)
    elif op == "cancel":
        if payload.get("far_sid"):
            client.calls(payload["far_sid"]).update(status="completed")
        client.conferences(conference).participants(caller).update(hold=False)
    elif op == "requeue":
        client.calls(caller).update(url=base + payload["url"], method="POST")
    elif op == "consult":
        client.conferences(conference).participants(caller).update(
            hold=True, hold_url=cfg.hold_music_url, hold_method="GET")
        client.calls(payload["agent_sid"]).update(url=base + payload["url"], method="POST")


@outbox.handler(CONTROL, background=True)
def deliver(payload: dict[str, Any]) -> None:
    """Run the control; a refusal is told to the page and undone in the live call (never
    retried later: a hold or a transfer a minute late would be wrong)."""
    client = current_app.extensions["twilio_client_factory"]()
    try:
        perform(client, payload)
    except (TwilioRestException, OSError) as err:
        reason = err.msg if isinstance(err, TwilioRestException) else str(err)
        log.warning("control %s on %s refused: %s", payload["op"], payload["caller_sid"], reason)
        live = LiveCalls(store()).get(payload["caller_sid"])
        if live is None:
            return
        if payload.get("label") == "transfer" or payload["op"] == "requeue":
            live.transfer = None
            call_extras.transfer_ended(live.caller_sid, "failed", now())
        if payload.get("label") == "interpreter":
            live.interpreters = [i for i in live.interpreters if i.get("sid")]
        if payload["op"] == "consult":
            idle_agents.release(store(), payload["agent_sid"])
        if payload.get("restore"):  # a hand-over to a colleague that did not happen
            for name, value in payload["restore"].items():
                setattr(live, name, value)
        LiveCalls(store()).save(live)
        if payload.get("hold_caller"):
            unhold_after_refusal(client, payload)
        tell(live, payload["op"], "failed", f"Twilio refused: {reason}")


def unhold_after_refusal(client: Any, payload: dict[str, Any]) -> None:
    """The caller was put on hold for a transfer Twilio then refused: back with the
    specialist (if the hold itself was what failed, there is nothing to undo)."""
    try:
        client.conferences(payload["conference_sid"]).participants(
            payload["caller_sid"]).update(hold=False)
    except (TwilioRestException, OSError) as err:
        log.info("unhold after a refused %s: %s", payload["op"], err)


def owe_control(live: LiveCall, payload: dict[str, Any]) -> None:
    """A control a webhook decides on (a transfer not answered: the caller back off hold)."""
    outbox.owe(db_session(), CONTROL, payload | {"caller_sid": live.caller_sid}, now())


# -- what Twilio tells us ----------------------------------------------------------------


@bp.post("/agent/participant-status")
@webhook(fallback=empty, shed=False)
def participant_status() -> VoiceResponse:
    """A participant's call (interpreter, far end, supervisor): answered, not, or gone."""
    status, role = form("CallStatus"), request.args.get("role", "")
    live = LiveCalls(store()).get(request.args.get("cs", ""))
    if live is None:
        return empty()
    if role == "interpreter":
        interpreter_status(live, status, form("CallSid"))
    elif role == "transfer":
        transfer_status(live, status, form("CallSid"))
    elif role == "supervisor":
        supervisor_status(live, status, form("CallSid"), request.args.get("ph", ""))
    LiveCalls(store()).save(live)
    return empty()


def interpreter_status(live: LiveCall, status: str, sid: str) -> None:
    language = request.args.get("lang", "")
    entry = next((i for i in live.interpreters if i["language"] == language), None)
    if entry is None:
        return
    name = next((lang.name_en for lang in deployment().interpreter_languages
                 if lang.code == language), language)
    if status == "in-progress":
        entry["sid"] = sid
        call_extras.interpreter_joined(live.caller_sid, entry["vendor"], language, now())
        tell(live, "interpreter", "done", f"The {name} interpreter joined the call.")
    elif status == "completed" and entry.get("sid"):
        call_extras.interpreter_left(live.caller_sid, now())
        live.interpreters.remove(entry)
        tell(live, "interpreter", "done", f"The {name} interpreter left the call.")
    elif status in NOT_ANSWERED or status == "completed":
        live.interpreters.remove(entry)
        tell(live, "interpreter", "failed", f"The {name} interpreter line did not answer.")


def transfer_status(live: LiveCall, status: str, sid: str) -> None:
    moving = live.transfer
    if moving is None:
        return
    if moving.get("handed"):  # the far end has the caller: its hang-up ends the call
        if status == "completed" or status in NOT_ANSWERED:
            live.transfer = None
        return
    if status == "in-progress":
        moving.update(sid=sid, answered=True)
        call_extras.transfer_ended(live.caller_sid, "answered", now())
        if moving["kind"] == "cold":
            owe_control(live, hand_over(live))
            tell(live, "transfer", "done", "Answered: the caller is handed over.")
        else:
            tell(live, "transfer", "done", "Answered: consult, then complete the transfer.")
        return
    if status in NOT_ANSWERED or (status == "completed" and moving.get("sid") == sid):
        if not moving.get("answered"):
            call_extras.transfer_ended(live.caller_sid, status, now())
        live.transfer = None
        owe_control(live, {"op": "hold", "on": False, "conference_sid": live.conference_sid})
        tell(live, "transfer", "failed" if status != "completed" else "done",
             "Transfer not answered: back with the caller." if status != "completed"
             else "The far end hung up: back with the caller.")


def supervisor_status(live: LiveCall, status: str, sid: str, phone: str) -> None:
    """A supervisor's call answered (later modes change it) or ended (the next one calls)."""
    if not phone:
        return
    if status == "in-progress":
        live.supervisors[phone] = sid
    elif status in NOT_ANSWERED or status == "completed":
        live.supervisors.pop(phone, None)


def caller_held(live: LiveCall, event: str) -> None:
    """The conference's hold events for the caller: the hold time, recorded at unhold."""
    at = now().timestamp()
    if event == "participant-hold" and not live.hold_since:
        live.hold_since = at
    elif event == "participant-unhold" and live.hold_since:
        call_extras.record_hold(live.caller_sid, max(0.0, at - live.hold_since))
        live.hold_since = None


@bp.post("/voice/requeue")
@webhook(fallback=safe_route_here)
def requeue() -> VoiceResponse:
    """A cold transfer to another provider: the caller waits in that provider's queue."""
    call = load_call(form("CallSid"))
    target = deployment().providers.get(request.args.get("p", ""))
    if target is None:
        target = deployment().providers[deployment().safe_route_provider]
    at = now()
    call.provider, call.queue, call.enqueued_at = target.id, target.queue, at.timestamp()
    records.record_routed(call, at)
    save_call(call)
    figures().caller_enqueued(target.id, call.call_sid, at.timestamp())
    resp = VoiceResponse()
    prompts.say(resp, call.language, "connecting", provider=target.spoken_name(call.language))
    return enqueue_verb(resp, url_state(call), target.id, target.queue)
