"""A surge on one shared queue: many callers, few specialists, in simulated time.

`Exchange` plays one caller and the specialist who takes them; a surge needs many legs at
once on the same Twilio queue. `SurgeQueue` keeps them on an event list in simulated time
and plays Twilio's part as `ivr.simulator.engine` does (and TWILIO.md says): callers walk the
menus, `<Enqueue>` into a FIFO queue, ask the waitUrl again each time its document ends (a
Gather's action document runs in the queue; `<Leave/>` leaves it and the Enqueue action is
requested at once); specialists dial in and, on the conference bridge, claim a caller and
wait in their conference while the app's REST redirect brings the caller there (a
specialist with nobody to take pauses, then looks again: an event); on the queue bridge,
`<Dial><Queue>` takes the head of the queue or waits for someone to join until the Dial's
timeout; a call ends with the caller's action (Enqueue's bridged, or the conference Dial's)
and the specialist's Dial action. Calls the app places through the REST API
(`rest`, handed to the app as its Twilio client) ring and are answered by a person, or not.
A caller hangs up after their patience; one offered a callback takes it with a probability.

Every request is a signed webhook through a `Transport`, and the app's clock is set to each
event's simulated time before it (`clock_sink`).
"""

from __future__ import annotations

import heapq
import random
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from ivr.simulator.engine import HELPLINE_NUMBER, SimulationError, say_seconds
from ivr.simulator.rest import RestApi, new_sid
from ivr.simulator.transport import Transport


@dataclass
class SurgeCaller:
    sid: str
    number: str
    arrives: float
    patience: float
    takes_callback: bool
    joined: float | None = None  # when they joined the queue
    left: float | None = None  # when they left it (bridged, hung up or for a callback)
    outcome: str = "menus"  # menus | queued | answered | abandoned | callback | other
    wait_url: str = ""
    action_url: str = ""
    queue: str = ""
    enqueued: float | None = None  # when they joined the queue they are in now
    callback_accepted: float | None = None
    callback_connected: float | None = None


@dataclass
class SurgeSpecialist:
    sid: str
    number: str
    dial: ET.Element | None = None
    dial_started: float = 0.0
    busy: bool = False
    answered: int = 0
    redirected: int = 0  # REST redirects taken: a look parked before one is not played


@dataclass
class Leg:
    """A callee's leg (a call the app placed), in its queue like a caller."""

    sid: str
    number: str
    caller: SurgeCaller | None
    action_url: str = ""
    joined: float = 0.0
    status_url: str = ""


@dataclass
class SurgeQueue:
    transport: Transport
    start: datetime
    clock_sink: Callable[[datetime], None]
    seed: int = 1
    talk_mean: float = 240.0
    callee_answers: float = 0.85  # chance a person answers the call back
    play_seconds: float = 30.0
    rest: RestApi = field(default_factory=RestApi)
    queues: dict[str, list[Any]] = field(default_factory=dict)
    callers: list[SurgeCaller] = field(default_factory=list)
    specialists: list[SurgeSpecialist] = field(default_factory=list)
    requests: int = 0
    bridged: dict[str, int] = field(default_factory=lambda: {"conference": 0, "queue": 0})
    _events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _seq: int = 0
    now: float = 0.0

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)  # noqa: S311 - a reproducible simulation

    # -- the event list ---------------------------------------------------------------------
    def at(self, t: float, fn: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._events, (t, self._seq, fn))

    def run(self, until: float) -> None:
        while self._events and self._events[0][0] <= until:
            t, _, fn = heapq.heappop(self._events)
            self.now = t  # each event at its own time (what it plays runs on from there)
            fn()

    def post(self, url: str, params: dict[str, str]) -> ET.Element:
        self.clock_sink(self.start + timedelta(seconds=self.now))
        self.requests += 1
        status, body = self.transport.post(url, params)
        if status != 200:
            raise SimulationError(f"POST {url} answered {status}: {body[:200]}")
        root = ET.fromstring(body)  # noqa: S314 - our own app's TwiML
        return root

    @staticmethod
    def params(sid: str, number: str, **extra: object) -> dict[str, str]:
        base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": number,
                "To": HELPLINE_NUMBER, "CallStatus": "in-progress", "ApiVersion": "2010-04-01"}
        base.update({k: str(v) for k, v in extra.items() if v is not None})
        return base

    # -- callers ----------------------------------------------------------------------------
    def add_caller(self, number: str, arrives: float, patience: float, takes_callback: bool) -> None:
        caller = SurgeCaller(new_sid(), number, arrives, patience, takes_callback)
        self.callers.append(caller)
        self.rest.calls.states[caller.sid] = "in-progress"  # (what Twilio's API knows of it)
        self.at(arrives, lambda: self.menus(caller))

    def menus(self, caller: SurgeCaller) -> None:
        """Incoming, then language 1 and need 2 (housing), each keyed when its prompt ends:
        every request is an event at its own time, so the app and the queue agree on it."""
        self.caller_step(caller, "/voice/incoming", {}, ["1", "2"])

    def caller_step(self, caller: SurgeCaller, url: str, extra: dict[str, object],
                    keys: list[str]) -> None:
        doc = self.post(url, self.params(caller.sid, caller.number, **extra))
        if doc.find("Enqueue") is not None:
            self.redirects()  # a specialist waiting there, woken by this enqueue (`ivr.wake`)
        for verb in doc:
            if verb.tag == "Say":
                self.now += say_seconds(verb.text or "")
            elif verb.tag == "Gather" and keys:
                self.now += sum(say_seconds(s.text or "") for s in verb)
                key, action = keys[0], verb.get("action", "")
                self.at(self.now, partial(self.caller_step, caller, action, {"Digits": key},
                                          keys[1:]))
                return
            elif verb.tag == "Enqueue":
                self.at(self.now, partial(self.join, caller, verb))
                return
        caller.outcome = "other"
        self.hang_up(caller)

    def join(self, caller: SurgeCaller, verb: ET.Element, again: bool = False) -> None:
        """Into a queue (`again`: an overflow; the hold is counted from the first join)."""
        name = (verb.text or "").strip()
        caller.wait_url, caller.action_url = verb.get("waitUrl", ""), verb.get("action", "")
        caller.outcome = "queued"
        caller.enqueued = self.now
        if not again:
            caller.joined = self.now
            self.at(self.now + caller.patience, lambda: self.gives_up(caller))
        caller.queue = name
        self.queues.setdefault(name, []).append(caller)
        if caller.sid in self.rest.calls.redirects:  # claimed while still hearing "please hold"
            return self.joins_conference(caller, self.rest.calls.redirects.pop(caller.sid))
        if not self.offer_to_waiting(name):
            self.at(self.now, lambda: self.hold(caller, name))

    def queue_params(self, caller: SurgeCaller, name: str, **extra: object) -> dict[str, str]:
        queue = self.queues.get(name, [])
        position = queue.index(caller) + 1 if caller in queue else 1
        waited = round(self.now - (caller.enqueued or self.now))
        return self.params(caller.sid, caller.number, QueuePosition=position, QueueTime=waited,
                           AvgQueueTime=waited, CurrentQueueSize=len(queue), MaxQueueSize=100,
                           **extra)

    def hold(self, caller: SurgeCaller, name: str, url: str | None = None,
             extra: dict[str, object] | None = None) -> None:
        """One waitUrl document (or a Gather action's, which runs in the queue too), played
        verb by verb; an answered Gather posts its action when its prompt ends (an event),
        and when the document runs out Twilio asks the waitUrl again."""
        if caller.outcome != "queued" or caller.queue != name:
            return  # dequeued, or moved to another queue (whose own hold loop runs)
        doc = self.post(url or caller.wait_url, self.queue_params(caller, name, **(extra or {})))
        for verb in doc:
            if verb.tag == "Leave":
                return self.leaves(caller, name)
            if verb.tag == "Redirect":
                nxt = (verb.text or "").strip()
                self.at(self.now, partial(self.hold, caller, name, nxt))
                return
            if verb.tag == "Gather":
                self.now += sum(say_seconds(s.text or "") for s in verb)
                key = self.answer(caller, verb)
                if key:
                    action = verb.get("action", "")
                    self.at(self.now, partial(self.hold, caller, name, action, {"Digits": key}))
                    return
                self.now += float(verb.get("timeout", "5"))
            elif verb.tag == "Say":
                self.now += say_seconds(verb.text or "")
            elif verb.tag == "Play":
                self.now += self.play_seconds
            elif verb.tag == "Pause":
                self.now += float(verb.get("length", "1"))
        self.at(self.now, lambda: self.hold(caller, name))

    def answer(self, caller: SurgeCaller, gather: ET.Element) -> str:
        """The offer and the caller ID's confirmation: 1 from a caller who takes callbacks."""
        action = gather.get("action", "")
        if "/voice/callback/" in action and caller.takes_callback:
            return "1"
        return ""

    def leaves(self, caller: SurgeCaller, name: str) -> None:
        """<Leave/>: out of the queue, and the Enqueue action at once."""
        self.dequeue(caller, name)
        caller.left = self.now
        doc = self.post(caller.action_url, self.queue_params(caller, name, QueueResult="leave"))
        for verb in doc:
            if verb.tag == "Say":
                self.now += say_seconds(verb.text or "")
            elif verb.tag == "Enqueue":  # past the max wait: the overflow queue
                return self.join(caller, verb, again=True)
            elif verb.tag == "Hangup":
                caller.outcome, caller.callback_accepted = "callback", self.now
                break
            elif verb.tag == "Dial":  # the staffed fallback line
                caller.outcome = "transferred"
                break
            elif verb.tag == "Redirect":  # a claim whose REST redirect was late: the conference
                return self.joins_conference(caller, (verb.text or "").strip(), from_queue=False)
        else:
            caller.outcome = "other"
        self.status(caller.sid, caller.number, "/voice/status")

    def gives_up(self, caller: SurgeCaller) -> None:
        name = caller.queue
        if caller.outcome != "queued":
            return
        self.dequeue(caller, name)
        caller.outcome, caller.left = "abandoned", self.now
        self.post(caller.action_url, self.queue_params(caller, name, QueueResult="hangup"))
        self.status(caller.sid, caller.number, "/voice/status")

    def dequeue(self, leg: Any, name: str) -> None:
        queue = self.queues.get(name, [])
        if leg in queue:
            queue.remove(leg)

    def hang_up(self, caller: SurgeCaller) -> None:
        self.status(caller.sid, caller.number, "/voice/status")

    def status(self, sid: str, number: str, url: str) -> None:
        self.rest.calls.states[sid] = "completed"
        self.post(url, self.params(sid, number, CallStatus="completed", CallDuration=1))

    # -- specialists ------------------------------------------------------------------------
    def add_specialist(self, number: str, at: float = 0.0) -> None:
        specialist = SurgeSpecialist(new_sid(), number)
        self.specialists.append(specialist)
        self.rest.calls.states[specialist.sid] = "in-progress"
        self.at(at, lambda: self.dial_in(specialist, "/agent/incoming", {}))

    def dial_in(self, specialist: SurgeSpecialist, url: str, extra: dict[str, object]) -> None:
        """Follow the specialist's TwiML until they wait on a queue."""
        doc: ET.Element | None = self.post(url, self.params(specialist.sid, specialist.number,
                                                            **extra))
        paused = False
        while doc is not None:
            nxt = None
            for verb in doc:
                if verb.tag == "Say":
                    self.now += say_seconds(verb.text or "")
                elif verb.tag == "Pause":  # waiting for a caller: the look again is an event
                    self.now += float(verb.get("length", "1"))
                    paused = True
                elif verb.tag == "Gather":  # "press 1 for the next caller": they do
                    nxt = self.post(verb.get("action", ""), self.params(
                        specialist.sid, specialist.number, Digits="1"))
                    break
                elif verb.tag == "Redirect" and paused:
                    self.at(self.now, partial(self.looks_again, specialist, specialist.redirected,
                                              (verb.text or "").strip()))
                    return
                elif verb.tag == "Redirect":
                    nxt = self.post((verb.text or "").strip(),
                                    self.params(specialist.sid, specialist.number))
                    break
                elif verb.tag == "Dial" and verb.find("Conference") is not None:
                    return self.in_conference(specialist, verb)
                elif verb.tag == "Dial":
                    return self.waits(specialist, verb)
            doc = nxt

    def looks_again(self, specialist: SurgeSpecialist, redirected: int, url: str) -> None:
        """The look after a waiting specialist's pause, unless a REST redirect (a wake, a
        consult) took their call elsewhere meanwhile: Twilio drops the rest of that TwiML."""
        if specialist.redirected == redirected:
            self.dial_in(specialist, url, {})

    # -- conferences (the system's claim, then the caller redirected through the REST API) -----
    def in_conference(self, specialist: SurgeSpecialist, dial: ET.Element) -> None:
        """The specialist waits in the claimed caller's conference; the app's REST redirect
        (after its commit, settled by the transport) brings the caller there."""
        specialist.dial, specialist.dial_started, specialist.busy = dial, self.now, True
        self.conference_event(specialist.sid, specialist.number, dial, "specialist")
        self.redirects()

    def conference_event(self, sid: str, number: str, dial: ET.Element, label: str) -> None:
        room = dial.find("Conference")
        if room is not None and room.get("statusCallback"):
            self.post(room.get("statusCallback", ""), self.params(
                sid, number, StatusCallbackEvent="participant-join", ParticipantLabel=label,
                FriendlyName=(room.text or "").strip(), ConferenceSid="CF" + "1" * 32))

    def redirects(self) -> None:
        """Play the REST redirects the app sent: a queued caller to their conference, a
        specialist whose caller had gone, or a waiting one woken, to look again."""
        for sid in list(self.rest.calls.redirects):
            caller = next((c for c in self.callers if c.sid == sid and c.outcome == "queued"), None)
            waiting = next((s for s in self.specialists if s.sid == sid), None)
            if caller is not None:
                self.joins_conference(caller, self.rest.calls.redirects.pop(sid))
            elif waiting is not None:
                url = self.rest.calls.redirects.pop(sid)
                waiting.dial, waiting.busy = None, False
                waiting.redirected += 1
                self.at(self.now, partial(self.dial_in, waiting, url, {}))
            # (a caller still hearing "please hold" takes it as they join the queue: `join`)

    def joins_conference(self, caller: SurgeCaller, url: str, from_queue: bool = True) -> None:
        """Out of the queue (the Enqueue action: redirected) and into their conference."""
        name = caller.queue
        self.dequeue(caller, name)
        caller.outcome, caller.left = "answered", self.now
        if from_queue:
            self.post(caller.action_url, self.queue_params(caller, name, QueueResult="redirected"))
        doc = self.post(url, self.params(caller.sid, caller.number))
        dial = doc.find("Dial")
        room = dial.find("Conference") if dial is not None else None
        specialist = next((s for s in self.specialists if s.dial is not None and room is not None
                           and s.dial.findtext("Conference") == room.text), None)
        if specialist is None or dial is None or specialist.dial is None:
            raise SimulationError(f"{caller.sid} was brought to a conference nobody is in")
        self.conference_event(caller.sid, caller.number, specialist.dial, "caller")
        self.bridged["conference"] += 1
        talk = self.random.expovariate(1 / self.talk_mean)
        agent_dial, caller_dial = specialist.dial, dial
        self.at(self.now + talk, lambda: self.conference_ends(specialist, caller, agent_dial,
                                                              caller_dial, talk))

    def conference_ends(self, specialist: SurgeSpecialist, caller: SurgeCaller,
                        agent_dial: ET.Element, caller_dial: ET.Element, talk: float) -> None:
        """The specialist leaves with *: the conference ends for both; each Dial action runs."""
        specialist.answered += 1
        specialist.dial, specialist.busy = None, False
        self.post(caller_dial.get("action", ""), self.params(
            caller.sid, caller.number, DialCallStatus="completed", DialCallDuration=round(talk)))
        self.status(caller.sid, caller.number, "/voice/status")  # the caller skips the survey
        self.dial_in(specialist, agent_dial.get("action", ""), {
            "DialCallStatus": "completed", "DialCallDuration": round(talk)})

    def waits(self, specialist: SurgeSpecialist, dial: ET.Element) -> None:
        specialist.dial, specialist.dial_started, specialist.busy = dial, self.now, False
        self.place_calls()
        name = self.dial_queue(dial)
        if self.queues.get(name):
            return self.bridge(specialist, self.queues[name][0], name)
        ends = self.now + float(dial.get("timeout", "30"))
        self.at(ends, lambda: self.dial_timeout(specialist, dial))

    @staticmethod
    def dial_queue(dial: ET.Element) -> str:
        queue = dial.find("Queue")
        return (queue.text or "").strip() if queue is not None else ""

    def offer_to_waiting(self, name: str) -> bool:
        """Someone joined `name`: a specialist whose Dial waits on it takes them at once."""
        for specialist in self.specialists:
            if specialist.dial is not None and not specialist.busy and self.dial_queue(
                    specialist.dial) == name and self.queues.get(name):
                self.bridge(specialist, self.queues[name][0], name)
                return True
        return False

    def dial_timeout(self, specialist: SurgeSpecialist, dial: ET.Element) -> None:
        if specialist.dial is not dial or specialist.busy:
            return
        specialist.dial = None
        self.dial_in(specialist, dial.get("action", ""), {"DialCallStatus": "no-answer",
                                                          "DialCallDuration": 0})

    def bridge(self, specialist: SurgeSpecialist, leg: Any, name: str) -> None:
        dial = specialist.dial
        assert dial is not None
        specialist.busy = True
        self.dequeue(leg, name)
        queue = dial.find("Queue")
        waited = round(self.now - (getattr(leg, "enqueued", None) or leg.joined or self.now))
        self.post(queue.get("url", "") if queue is not None else "", self.params(
            leg.sid, leg.number, QueueTime=waited, DequeingCallSid=specialist.sid))
        if isinstance(leg, SurgeCaller):
            leg.outcome, leg.left = "answered", self.now
            self.bridged["queue"] += 1
        elif leg.caller is not None:
            leg.caller.callback_connected = self.now
        talk = self.random.expovariate(1 / self.talk_mean)
        self.at(self.now + talk, lambda: self.bridge_ends(specialist, leg, name, dial, talk))

    def bridge_ends(self, specialist: SurgeSpecialist, leg: Any, name: str, dial: ET.Element,
                    talk: float) -> None:
        specialist.answered += 1
        specialist.dial = None
        self.post(leg.action_url, self.params(leg.sid, leg.number, QueueResult="bridged",
                                              QueueTime=0))
        status_url = "/voice/status" if isinstance(leg, SurgeCaller) else leg.status_url
        self.status(leg.sid, leg.number, status_url)  # the caller skips the survey
        self.dial_in(specialist, dial.get("action", ""), {
            "DialCallStatus": "completed", "DialCallDuration": round(talk),
            "DialCallSid": leg.sid, "DialBridged": "true"})

    # -- calls the app placed through the REST API -----------------------------------------------
    def place_calls(self) -> None:
        while self.rest.calls.placed:
            placed = self.rest.calls.placed.pop(0)
            ring = self.random.uniform(5, 15)
            self.at(self.now + ring, lambda p=placed: self.callee(p))  # type: ignore[misc]

    def callee(self, placed: dict[str, str]) -> None:
        number = placed["to"]
        caller = next((c for c in self.callers if c.number == number), None)
        sid = new_sid()
        if self.random.random() >= self.callee_answers:
            self.post(placed["status_callback"], self.params(sid, number, CallStatus="no-answer",
                                                             Direction="outbound-api"))
            return
        doc = self.post(placed["url"], self.params(sid, number, AnsweredBy="human",
                                                   Direction="outbound-api"))
        gather = doc.find("Gather")
        if gather is None:
            return
        self.now += sum(say_seconds(s.text or "") for s in gather)
        doc = self.post(gather.get("action", ""), self.params(sid, number, Digits="1"))
        for verb in doc:
            if verb.tag == "Say":
                self.now += say_seconds(verb.text or "")
            elif verb.tag == "Enqueue":
                leg = Leg(sid, number, caller, verb.get("action", ""), self.now,
                          placed["status_callback"])
                name = (verb.text or "").strip()
                self.queues.setdefault(name, []).append(leg)
                self.offer_to_waiting(name)
                return
