"""Plays Twilio's part: places calls, follows the TwiML, keeps the queues, brings a specialist.

It executes Say, Play, Pause, Gather, Redirect, Enqueue (with waitUrl and action), Leave,
Dial (Number and Queue) and Hangup, posting signed webhooks through a `Transport`, and
writes what a caller and a specialist would hear as a transcript. Time is simulated: each
verb advances the call's clock, so a ten-minute wait takes milliseconds.

By default any failed request (no answer, not 200, not TwiML) stops the simulation, which
is what a test wants. Given `fallback_urls`, it does what Twilio does for a number whose
*Primary handler fails* URL is set: a TwiML request that fails goes to the fallback URL
(with `ErrorCode` and `ErrorUrl`) and the call carries on with its answer; a status
callback that fails is tried again `callback_retries` times (Twilio's connection
overrides `rc`/`rp`), and is otherwise lost, as it would be.
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from config.voices import is_allowed
from ivr.simulator import colleagues
from ivr.simulator.rest import RestApi, new_sid
from ivr.simulator.transcript import Transcript
from ivr.simulator.transport import Transport, absolute

MAX_REQUESTS_PER_CALL = 300
# Over HTTP, how long the REST stand-in must stay quiet before the server is taken to have
# sent all it owes, and how long to wait for a first request after a webhook (real seconds).
REST_QUIET = 0.25
REST_AFTER_WEBHOOK = 1.0
PLAY_SECONDS = 20.0
HELPLINE_NUMBER = "+12110000211"
# What a request that never got its answer raises (connection refused or cut, a timeout).
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


class SimulationError(RuntimeError):
    """The app answered something Twilio would reject (non-200, not TwiML, a voice it lacks)."""


def check_voice(verb: ET.Element) -> None:
    """Twilio logs 13511 (13321 in a Gather) for a voice/language pair not in its table, and
    the Say may fail: the simulator refuses it, so every test that runs a call checks it."""
    voice, language = verb.get("voice", ""), verb.get("language", "")
    if not is_allowed(voice, language):
        raise SimulationError(f"<Say voice={voice!r} language={language!r}> is not in Twilio's "
                              "text-to-speech table (warning 13511)")


STAR, PHONE, CALLER = "star", "phone", "caller"  # who ends a bridged call, and how
HANGUP = "hangup"  # a caller's answer that hangs up instead (in --keys, or typed interactively)


@dataclass
class Specialist:
    number: str
    answer_after: float = 30.0  # seconds into the caller's queue time when they dial in
    talk_seconds: float = 180.0
    # STAR: the specialist presses * (the Dial's hangupOnStar) and stays on the line;
    # PHONE: the specialist hangs up their phone; CALLER: the caller hangs up first.
    ends: str = STAR
    # What the specialist presses when offered the next caller (after "1": they wait on the
    # queue again; nothing: they are signed out and hang up).
    after_call_keys: list[str] = field(default_factory=lambda: ["1"])
    # What the specialist's page does mid-call: (seconds into the talk, an action given the
    # exchange), e.g. a test posting to the call controls API.
    during_call: list[tuple[float, Callable[[Exchange], None]]] = field(default_factory=list)
    # Queue name -> the phone of a specialist staffing it. When given, whoever staffs the
    # caller's queue dials in, so a run bridges every call whatever the time of day routes it to.
    by_queue: dict[str, str] = field(default_factory=dict)

    def number_for(self, queue: str) -> str:
        return self.by_queue.get(queue, self.number)


@dataclass
class CallerScript:
    from_number: str
    inputs: list[str] = field(default_factory=list)  # "1", "say:Sudbury", "silence"
    hangup_in_queue_after: float | None = None
    patience: float = 3600.0  # a caller nobody answers gives up after this long in queues
    ask: Callable[[str], str] | None = None  # interactive: called when inputs run out
    # Who answers once `inputs` run out (and no person is asked): given the Gather's action
    # URL and its input modes, an answer; None: silence (what the tests' callers do).
    then: Callable[[str, str], str] | None = None


@dataclass
class Leg:
    """One call leg as Twilio tracks it."""

    sid: str
    from_number: str
    to_number: str
    started: datetime
    t: float = 0.0
    requests: int = 0
    inputs: deque[str] = field(default_factory=deque)
    queue: str | None = None
    enqueued_t: float = 0.0
    first_enqueued_t: float | None = None  # overflow re-enqueues; the specialist counts from here
    ended: bool = False
    machine: bool = False  # an answering machine picked up: whatever is said is recorded
    hung_up: bool = False  # the caller hung up: Twilio still posts the action, ignores its TwiML
    side: str = "caller"  # or "agent": which number's fallback URL Twilio would ask
    pending_params: dict[str, str] | None = None  # a Gather's answer, for its action's request
    redirect_to: str | None = None  # a REST redirect (calls(sid).update(url=...)) to take

    def params(self, **extra: object) -> dict[str, str]:
        base = {"CallSid": self.sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number,
                "To": self.to_number, "CallStatus": "in-progress", "Direction": "inbound",
                "ApiVersion": "2010-04-01"}
        base.update({k: str(v) for k, v in extra.items() if v is not None})
        return base


def finished_digits(pressed: str, finish_on_key: str) -> str:
    """What Twilio posts as Digits: the keys up to the finish key (default '#'), which is
    itself left out; `finishOnKey=""` makes every key, '#' included, an answer."""
    if finish_on_key and finish_on_key in pressed:
        return pressed[:pressed.index(finish_on_key)]
    return pressed


# Answering-machine detection, as Twilio's docs describe it: with `MachineDetection` on the
# REST call, the first request to the call's url carries `AnsweredBy`. `Enable` answers as
# soon as it knows (human, machine_start, fax, unknown); `DetectMessageEnd` waits for the end
# of a machine's greeting (machine_end_beep, machine_end_silence, machine_end_other). Without
# detection there is no `AnsweredBy`.
ANSWERERS = ("human", "machine", "fax", "unknown")


def answered_by(detection: str | None, answerer: str) -> str | None:
    if answerer not in ANSWERERS:
        raise SimulationError(f"answerer is one of {ANSWERERS}, not {answerer!r}")
    if not detection:
        return None
    if answerer == "machine":
        return "machine_start" if detection == "Enable" else "machine_end_beep"
    return answerer


def say_seconds(text: str) -> float:
    return max(1.0, len(text.split()) / 2.5)


class Exchange:
    """The simulated telephone network with its queues."""

    def __init__(self, transport: Transport, start: datetime,
                 clock_sink: Callable[[datetime], None] | None = None,
                 max_queue_size: int = 100, fallback_urls: dict[str, str] | None = None,
                 callback_retries: int = 0, play_seconds: float = PLAY_SECONDS) -> None:
        self.transport = transport
        self.play_seconds = play_seconds  # how long one <Play> (the hold music clip) lasts
        self.fallback_urls = fallback_urls or {}  # leg side -> that number's fallback URL
        self.callback_retries = callback_retries
        self.failures: list[str] = []  # requests that got no usable answer, and why
        self.start = start
        self.clock_sink = clock_sink  # told the simulated time before each request
        self.max_queue_size = max_queue_size
        self.queues: dict[str, list[Leg]] = {}
        self.transcript = Transcript()
        self.webhooks = 0
        self.script = CallerScript(from_number="")
        self.specialist: Specialist | None = None
        self.agent: Leg | None = None
        self.agent_dial: ET.Element | None = None  # the specialist's <Dial>, waiting on a queue
        self.agent_dial_t = 0.0  # when (on the specialist's leg) that Dial began
        self.rest = RestApi()  # what the app asks of Twilio's REST API (tests hand it to the app)
        self.unanswered: set[str] = set()  # numbers a <Dial><Number> rings out on (no-answer)
        self.callees: list[tuple[str, list[str], str]] = []  # (answerer, inputs, status) per call
        self.agent_next: tuple[str, dict[str, str]] | None = None  # the specialist's next request
        self.horizon = 0.0  # the caller's time: the specialist's leg never runs ahead of it
        self.conference_sids: dict[str, str] = {}  # conference name -> its ConferenceSid
        # Real seconds to wait for a REST request a server in another process owes (it sends
        # it from its outbox thread after answering): 0 in-process, where it is settled.
        self.rest_wait = 0.0
        self.outbound: list[Leg] = []  # the calls placed through `rest`, as played
        # specialists of other providers waiting for a caller, whom a consult can bring in
        self.colleagues: list[colleagues.Colleague] = []
        self.room: Room | None = None  # the conference in progress (its caller's CallSid, for hooks)

    # -- HTTP ---------------------------------------------------------------------------
    def fetch(self, leg: Leg, url: str, params: dict[str, str],
              callback: bool = False) -> ET.Element:
        """One webhook; `callback`: a status callback (retried, never sent to the fallback)."""
        tries = 1 + (self.callback_retries if callback and self.fallback_urls else 0)
        for attempt in range(tries):
            try:
                return self.retrieve(leg, url, params)
            except SimulationError as err:
                fallback = self.fallback_urls.get(leg.side)
                if not fallback:
                    raise
                self.failures.append(f"{urllib.parse.urlsplit(url).path}: {err}")
                if callback:
                    if attempt + 1 < tries:
                        continue
                    self.log(leg, "twilio", f"status callback {url} lost ({err})")
                    return ET.Element("Response")
                self.log(leg, "twilio", f"no TwiML from {url} ({err}); asks the fallback URL")
                return self.retrieve(leg, fallback, leg.params(
                    ErrorCode="11200", ErrorUrl=absolute(self.transport.public_base_url, url)))
        raise AssertionError("unreachable")

    def retrieve(self, leg: Leg, url: str, params: dict[str, str]) -> ET.Element:
        leg.requests += 1
        if leg.requests > MAX_REQUESTS_PER_CALL:
            raise SimulationError(f"call {leg.sid} made over {MAX_REQUESTS_PER_CALL} requests")
        if self.clock_sink:
            self.clock_sink(leg.started + timedelta(seconds=leg.t))
        try:
            status, body = self.transport.post(url, params)
        except TRANSPORT_ERRORS as err:
            raise SimulationError(f"POST {url} got no answer: {type(err).__name__}: {err}") from err
        self.webhooks += 1
        if status != 200:
            raise SimulationError(f"POST {url} answered {status}: {body[:200]}")
        try:
            root = ET.fromstring(body)  # noqa: S314 - our own app's TwiML
        except ET.ParseError as err:
            raise SimulationError(f"POST {url} answered invalid TwiML: {body[:200]}") from err
        if root.tag != "Response":
            raise SimulationError(f"POST {url} answered <{root.tag}>, not <Response>")
        return root

    def log(self, leg: Leg, who: str, text: str) -> None:
        self.transcript.add(leg.t, who, text)

    # -- a caller's call ------------------------------------------------------------------
    def place_call(self, script: CallerScript, specialist: Specialist | None = None,
                   incoming_url: str = "/voice/incoming", status_url: str = "/voice/status") -> Leg:
        leg = Leg(new_sid(), script.from_number, HELPLINE_NUMBER, self.start,
                  inputs=deque(script.inputs))
        self.script, self.specialist = script, specialist
        self.rest.calls.states[leg.sid] = "in-progress"
        self.log(leg, "call", f"{leg.from_number} dials 2-1-1 at {self.start:%a %Y-%m-%d %H:%M %Z}")
        try:
            self.run(leg, incoming_url, leg.params())
        except SimulationError:
            if self.fallback_urls:  # as Twilio: the call failed, and its status callback comes
                self.fetch(leg, status_url, leg.params(CallStatus="failed", CallDuration=round(leg.t)),
                           callback=True)
            raise
        self.end_of_run(leg)
        self.rest.calls.states[leg.sid] = "completed"
        duration = round(leg.t)
        self.log(leg, "call", f"call ends after {duration // 60} min {duration % 60} s")
        self.fetch(leg, status_url, leg.params(CallStatus="completed", CallDuration=duration),
                   callback=True)
        return leg

    # -- an outbound call placed through the REST API (the outcome follow-up) -------------
    def answer_outbound(self, placed: dict[str, str], answerer: str = "human",
                        inputs: list[str] | None = None, status: str = "completed",
                        start_t: float = 0.0) -> Leg:
        """Play the call `client.calls.create(**placed)` asked for: answered by a person (who
        gives `inputs`), a machine (which records whatever is said) or a fax, or not answered
        at all (`status` busy, no-answer, failed: only the status callback is posted)."""
        leg = Leg(new_sid(), placed["from_"], placed["to"], self.start, t=start_t,
                  inputs=deque(inputs or []), machine=answerer == "machine")
        self.script = CallerScript(placed["to"], list(inputs or []))
        if status == "completed":
            self.log(leg, "call", f"{placed['to']} is called; the {answerer} answers")
            detected = answered_by(placed.get("machine_detection"), answerer)
            self.run(leg, placed["url"], leg.params(Direction="outbound-api", AnsweredBy=detected))
        if placed.get("status_callback"):
            self.fetch(leg, placed["status_callback"], leg.params(
                Direction="outbound-api", CallStatus=status, CallDuration=round(leg.t)),
                callback=True)
        return leg

    def run(self, leg: Leg, url: str, params: dict[str, str]) -> None:
        """Fetch a document and execute it, following Redirects and actions, until it ends."""
        next_step: tuple[str, dict[str, str]] | None = (url, params)
        while next_step and not leg.ended:
            doc = self.fetch(leg, *next_step)
            if leg.hung_up:
                break
            next_step = self.execute(leg, doc)
        leg.ended = True

    def execute(self, leg: Leg, doc: ET.Element) -> tuple[str, dict[str, str]] | None:
        for verb in doc:
            tag = verb.tag
            if tag in {"Say", "Play", "Pause"}:
                self.media(leg, verb, "211")
            elif tag == "Gather":
                answer = self.gather(leg, verb)
                if answer is not None or leg.hung_up:
                    return answer
            elif tag == "Redirect":
                return (verb.text or "").strip(), leg.params()
            elif tag == "Enqueue":
                return self.enqueue(leg, verb)
            elif tag == "Dial" and any(c.tag == "Conference" for c in verb):
                return self.dial_conference(leg, verb)
            elif tag == "Dial":
                return self.dial_number(leg, verb)
            elif tag == "Hangup":
                self.log(leg, "211", "hangs up")
                return None
            elif tag == "Leave":
                continue  # only meaningful in a waitUrl document
            else:
                raise SimulationError(f"unsupported TwiML verb <{tag}>")
        return None  # the document ran out: Twilio ends the call

    def media(self, leg: Leg, verb: ET.Element, who: str) -> None:
        if leg.machine:
            who = f"{who} (recorded by the machine)"
        if verb.tag == "Say":
            check_voice(verb)
            text = (verb.text or "").strip()
            self.log(leg, f"{who} [{verb.get('language', '')}]", text)
            leg.t += say_seconds(text)
        elif verb.tag == "Play":
            self.log(leg, who, "♪ hold music")
            leg.t += self.play_seconds
        else:
            leg.t += float(verb.get("length", "1"))

    def next_input(self, leg: Leg, modes: str, action: str = "") -> str:
        if leg.machine:
            return "silence"  # a machine presses nothing and says nothing back
        if leg.inputs:
            return leg.inputs.popleft()
        if self.script.ask:
            return self.script.ask(modes)
        return self.script.then(action, modes) if self.script.then else "silence"

    def gather(self, leg: Leg, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        for child in verb:
            self.media(leg, child, "211")
        modes = verb.get("input", "dtmf")
        action = verb.get("action", "")
        answer = self.next_input(leg, modes, action).strip()
        if answer.lower() == HANGUP:
            self.log(leg, "caller", "hangs up")
            leg.hung_up = True
            return None
        if answer.lower().startswith("say:") and "speech" in modes:
            words = answer[4:].strip()
            self.log(leg, "caller", f'says "{words}"')
            leg.t += say_seconds(words)
            return action, leg.params(SpeechResult=words, Confidence="0.92")
        if answer and (answer[0].isdigit() or answer[0] in "*#") and "dtmf" in modes:
            self.log(leg, "caller", f"presses {answer}")
            leg.t += 1
            digits = finished_digits(answer, verb.get("finishOnKey", "#"))
            if digits:
                return action, leg.params(Digits=digits)
            leg.t += float(verb.get("timeout", "5"))
            return None  # Twilio leaves the finish key out of Digits: a lone one is no input
        self.log(leg, "caller", "(says nothing)")
        leg.t += float(verb.get("timeout", "5"))
        return None

    def dial_number(self, leg: Leg, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        number = next((c.text for c in verb if c.tag == "Number"), None)
        self.log(leg, "211", f"transfers the call to {number}")
        action = verb.get("action")
        if number in self.unanswered:  # rings out: Twilio's no-answer after the Dial's timeout
            leg.t += float(verb.get("timeout", "30"))
            self.log(leg, "network", f"{number} does not answer")
            return (action, leg.params(DialCallStatus="no-answer", DialCallDuration=0)) \
                if action else None
        leg.t += 60
        if action:
            return action, leg.params(DialCallStatus="completed", DialCallDuration=60)
        return None

    # -- queues -----------------------------------------------------------------------------
    def enqueue(self, leg: Leg, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        name = (verb.text or "").strip()
        action, wait_url = verb.get("action"), verb.get("waitUrl")
        queue = self.queues.setdefault(name, [])
        if len(queue) >= self.queue_size(name):
            self.log(leg, "queue", f"{name} is full")
            return (action, leg.params(QueueResult="queue-full", QueueTime=0)) if action else None
        queue.append(leg)
        leg.queue, leg.enqueued_t = name, leg.t
        if leg.first_enqueued_t is None:
            leg.first_enqueued_t = leg.t
        self.log(leg, "queue", f"caller joins queue {name} (position {len(queue)})")
        result = self.wait_in_queue(leg, name, wait_url)
        queue_time = round(leg.t - leg.enqueued_t)
        if leg in queue:
            queue.remove(leg)
        if result == "redirected" and leg.redirect_to:
            # Twilio requests the Enqueue action and ignores its answer: the call goes on
            # with the TwiML at the URL it was redirected to (TWILIO.md).
            if action:
                self.fetch(leg, action, leg.params(QueueResult=result, QueueTime=queue_time))
            url, leg.redirect_to = leg.redirect_to, None
            return url, leg.params()
        return (action, leg.params(QueueResult=result, QueueTime=queue_time)) if action else None

    def wait_in_queue(self, leg: Leg, name: str, wait_url: str | None) -> str:
        script = self.script
        while True:
            waited = leg.t - leg.enqueued_t
            specialist = self.specialist
            self.advance_agent(leg.t)
            if self.redirected(leg):
                return "redirected"
            if self.agent is not None and self.waiting_on(name):
                # A <Dial><Queue> already waiting connects whoever joins, at once.
                dial = self.agent_dial
                return self.bridge(leg, self.agent, dial, self.queue_of(dial))  # type: ignore[arg-type]
            if specialist and leg.t - (leg.first_enqueued_t or 0.0) >= specialist.answer_after:
                outcome = self.specialist_dials_in(leg, specialist, name)
                if outcome:
                    return outcome
                if self.conference_of(self.agent_dial) and self.awaits_redirect(leg):
                    return "redirected"
            if script.hangup_in_queue_after is not None and waited >= script.hangup_in_queue_after:
                self.log(leg, "caller", "hangs up while waiting")
                leg.hung_up = True
                return "hangup"
            if leg.t - (leg.first_enqueued_t or 0.0) >= script.patience:
                self.log(leg, "caller", "gives up and hangs up: nobody answered")
                leg.hung_up = True
                return "hangup"
            if not wait_url:
                leg.t += self.play_seconds
                continue
            outcome = self.wait_document(leg, name, wait_url)
            if outcome:
                return outcome

    def queue_size(self, name: str) -> int:
        """The queue's max size: as set through the REST API, else Twilio's default."""
        size = self.rest.queues.size_of(name)
        return self.max_queue_size if size is None else size

    def wait_params(self, leg: Leg, name: str) -> dict[str, str]:
        queue, waited = self.queues[name], round(leg.t - leg.enqueued_t)
        if leg.pending_params is not None:  # a Gather's action: its Digits, and the queue's
            extra, leg.pending_params = leg.pending_params, None
        else:
            extra = leg.params()
        return extra | leg.params(QueuePosition=queue.index(leg) + 1, QueueTime=waited,
                          AvgQueueTime=waited, CurrentQueueSize=len(queue),
                          MaxQueueSize=self.queue_size(name))

    def wait_document(self, leg: Leg, name: str, url: str) -> str | None:
        """One waitUrl document and what it leads to, as Twilio runs it in the queue: Play,
        Say, Pause, Gather (its action's document runs in the queue too), Redirect (followed,
        still in the queue), Leave, Hangup; when it runs out, Twilio asks the waitUrl again.
        Returns 'leave' or 'hangup', or None to go on waiting."""
        step: str | None = url
        while step:
            doc, step = self.fetch(leg, step, self.wait_params(leg, name)), None
            for verb in doc:
                if verb.tag == "Leave":
                    self.log(leg, "queue", f"caller leaves queue {name}")
                    return "leave"
                if verb.tag == "Hangup":
                    return "hangup"
                if verb.tag == "Redirect":
                    step = (verb.text or "").strip()
                    break
                if verb.tag == "Gather":
                    answer = self.gather(leg, verb)
                    if leg.hung_up:
                        return "hangup"
                    if answer is not None:
                        step = answer[0]
                        leg.pending_params = answer[1]
                        break
                    continue
                if verb.tag not in {"Say", "Play", "Pause"}:  # (a fallback URL's answer)
                    self.log(leg, "twilio", f"<{verb.tag}> is not allowed in a waitUrl "
                             "document: skipped")
                    continue
                self.media(leg, verb, "hold")
        return None

    def specialist_dials_in(self, caller: Leg, specialist: Specialist, name: str) -> str | None:
        """The specialist calls in and dials their queue; returns 'bridged' if it was ours."""
        agent = self.agent
        self.horizon = caller.t
        if agent is None:
            number = specialist.number_for(name)
            agent = self.agent = Leg(new_sid(), number, HELPLINE_NUMBER, caller.started, t=caller.t,
                                     inputs=deque(specialist.after_call_keys), side="agent")
            self.rest.calls.states[agent.sid] = "in-progress"
            self.log(agent, "specialist", f"dials in from {number}")
            self.agent_run(agent, "/agent/incoming", agent.params())
        self.dial_timeouts(caller.t)
        dial = self.agent_dial
        if self.agent is None or dial is None:
            return None
        queue_el = next((c for c in dial if c.tag == "Queue"), None)
        if queue_el is None or (queue_el.text or "").strip() != name:
            return None  # the specialist waits on another queue
        agent.t = max(agent.t, caller.t)
        return self.bridge(caller, agent, dial, queue_el)

    @staticmethod
    def queue_of(dial: ET.Element | None) -> ET.Element | None:
        return None if dial is None else next((c for c in dial if c.tag == "Queue"), None)

    def waiting_on(self, name: str) -> bool:
        queue_el = self.queue_of(self.agent_dial)
        return queue_el is not None and (queue_el.text or "").strip() == name

    def agent_run(self, agent: Leg, url: str, params: dict[str, str]) -> None:
        """Follow the specialist's TwiML until they wait on a queue (a `<Dial><Queue>`,
        kept in `agent_dial`) or their call ends."""
        self.agent_dial = None
        step: tuple[str, dict[str, str]] | None = (url, params)
        paused = False
        while step:
            if paused and agent.t > self.horizon:  # a waiting specialist: until the caller's time
                self.agent_next = step
                return
            doc, step = self.fetch(agent, *step), None
            for verb in doc:
                paused = paused or verb.tag == "Pause"
                if verb.tag == "Dial" and any(c.tag == "Conference" for c in verb):
                    self.agent_dial, self.agent_dial_t = verb, agent.t
                    room = self.conference_of(verb)
                    self.log(agent, "conference", f"the specialist waits in {room}")
                    self.conference_event(verb, "participant-join", agent, "specialist")
                    return
                if verb.tag == "Dial":
                    if not any(c.tag == "Queue" for c in verb):
                        raise SimulationError("the specialist's <Dial> has no <Queue> or <Conference>")
                    self.agent_dial, self.agent_dial_t = verb, agent.t
                    self.place_outbound(verb)
                    return
                step = self.agent_verb(agent, verb)
                if step or verb.tag == "Hangup":
                    break
        self.agent_leaves(agent)

    def agent_verb(self, agent: Leg, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        """One verb on the specialist's leg; the next request when it leads to one."""
        if verb.tag in {"Say", "Pause", "Play"}:
            self.media(agent, verb, "to specialist")
        elif verb.tag == "Gather":
            for child in verb:
                self.media(agent, child, "to specialist")
            key = agent.inputs.popleft() if agent.inputs else ""
            if key:
                self.log(agent, "specialist", f"presses {key}")
                return verb.get("action", ""), agent.params(Digits=key)
            self.log(agent, "specialist", "(presses nothing)")
            agent.t += float(verb.get("timeout", "5"))
        elif verb.tag == "Redirect":
            return (verb.text or "").strip(), agent.params()
        elif verb.tag == "Hangup":
            self.log(agent, "specialist", "the line hangs up" if agent.requests > 1
                     else "is turned away")
        return None

    def dial_timeouts(self, until: float) -> None:
        """Twilio ends a `<Dial><Queue>` on an empty queue at the Dial's timeout (30 s by
        default) with DialCallStatus=no-answer; the Dial action says what the specialist
        does next. Plays every timeout that fell before `until`."""
        self.horizon = max(self.horizon, until)
        while self.agent is not None and self.agent_dial is not None:
            agent, dial = self.agent, self.agent_dial
            if self.queue_of(dial) is None:
                return  # a conference has no timeout: the specialist stays until it ends
            ends = self.agent_dial_t + float(dial.get("timeout", "30"))
            if ends > until:
                return
            agent.t = ends
            self.log(agent, "twilio", "the specialist's Dial timed out on an empty queue")
            action = dial.get("action")
            if not action:
                self.agent_leaves(agent)
                return
            self.agent_run(agent, action, agent.params(DialCallStatus="no-answer",
                                                        DialCallDuration=0))

    def place_outbound(self, dial: ET.Element) -> None:
        """Calls the app asked Twilio's REST API for (`rest.calls.create`) while the
        specialist waits: each is played now, answered as `callees` says (in order; a
        person who presses 1 by default). A callee who never joins the specialist's queue
        leaves the specialist's Dial to run to its timeout."""
        while self.rest.calls.placed:
            placed = self.rest.calls.placed.pop(0)
            answerer, inputs, status = (self.callees.pop(0) if self.callees
                                        else ("human", ["1"], "completed"))
            caller_script = self.script
            start = self.agent.t if self.agent else 0.0
            leg = self.answer_outbound(placed, answerer, inputs, status, start_t=start)
            self.script = caller_script
            self.outbound.append(leg)
            if self.agent is not None and self.agent_dial is dial:
                self.dial_timeouts(self.agent_dial_t + float(dial.get("timeout", "30")))

    def agent_leaves(self, agent: Leg) -> None:
        """The specialist's call ends: its status callback."""
        self.fetch(agent, "/agent/status", agent.params(CallStatus="completed",
                                                         CallDuration=round(agent.t)), callback=True)
        agent.ended = True
        self.rest.calls.states[agent.sid] = "completed"
        if self.agent is agent:
            self.agent, self.agent_dial, self.agent_next = None, None, None

    def end_of_run(self, caller: Leg) -> None:
        """The caller's call is over: a specialist still waiting on a queue hangs up too."""
        for colleague in self.colleagues:
            if not colleague.leg.ended:
                colleague.leg.t = max(colleague.leg.t, caller.t)
                colleagues.hangs_up(self, colleague)
        if self.agent is not None:
            self.dial_timeouts(caller.t)
            self.advance_agent(caller.t)
        if self.agent is not None:
            self.agent.t = max(self.agent.t, caller.t)
            self.log(self.agent, "specialist", "hangs up the phone (end of the simulation)")
            self.agent_leaves(self.agent)

    def bridge(self, caller: Leg, agent: Leg, dial: ET.Element, queue_el: ET.Element) -> str:
        """Bridge the two legs; when the call ends each goes on with its own TwiML: the
        specialist's Dial action (DialCallDuration is the bridge's length), the caller's
        Enqueue action (QueueResult=bridged), as Twilio runs them."""
        queue_time = round(caller.t - caller.enqueued_t)
        url = queue_el.get("url")
        if url:
            doc = self.fetch(caller, url, caller.params(
                QueueSid="QU" + "0" * 32, QueueTime=queue_time, DequeingCallSid=agent.sid))
            for verb in doc:
                if verb.tag in {"Say", "Play", "Pause"}:
                    self.media(caller, verb, "211")
        self.log(caller, "bridge", "the specialist is on the line with the caller")
        specialist = self.specialist or Specialist(agent.from_number, talk_seconds=60.0)
        talk = specialist.talk_seconds
        caller.t += talk
        agent.t = caller.t
        ends = self.call_ends(caller, agent, dial, specialist)
        done = agent.params(DialCallStatus="completed", DialCallSid=caller.sid,
                            DialCallDuration=round(talk), DialBridged="true")
        action = dial.get("action")
        self.agent_dial = None
        if ends == PHONE:  # Twilio still tells the Dial action; the TwiML goes unheard
            if action:
                self.fetch(agent, action, done)
            self.agent_leaves(agent)
        elif action:
            self.agent_run(agent, action, done)
        else:
            self.agent_leaves(agent)
        return "bridged"

    # -- REST redirects and the specialist's own time ------------------------------------
    def redirected(self, leg: Leg) -> bool:
        """A REST redirect for this call (`calls(sid).update(url=...)`): taken at its next step."""
        url = self.rest.calls.redirects.pop(leg.sid, None)
        if url is None:
            return False
        self.log(leg, "twilio", f"the call is redirected (REST) to {urllib.parse.urlsplit(url).path}")
        leg.redirect_to = url
        return True

    def awaits_redirect(self, leg: Leg) -> bool:
        """The specialist waits in a conference: the caller's redirect, once it comes."""
        deadline = time.monotonic() + self.rest_wait
        while not self.redirected(leg):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def advance_agent(self, until: float) -> None:
        """Play the specialist's leg up to the caller's time `until`: a redirect the app sent
        for it (REST), then the request it had parked after a pause (a waiting specialist
        looking again), as long as it falls before `until`."""
        self.horizon = max(self.horizon, until)
        agent = self.agent
        while agent is not None and self.agent is agent:
            url = self.rest.calls.redirects.pop(agent.sid, None)
            if url is not None:
                self.log(agent, "twilio", f"the specialist's call is redirected (REST) to "
                         f"{urllib.parse.urlsplit(url).path}")
                self.agent_next = None
                self.agent_run(agent, url, agent.params())
                continue
            if self.agent_next is None or agent.t > until:
                return
            step, self.agent_next = self.agent_next, None
            self.agent_run(agent, *step)

    # -- conferences ---------------------------------------------------------------------
    @staticmethod
    def conference_of(dial: ET.Element | None) -> str | None:
        room = None if dial is None else next((c for c in dial if c.tag == "Conference"), None)
        return None if room is None else (room.text or "").strip()

    def conference_event(self, dial: ET.Element, event: str, leg: Leg, label: str) -> None:
        """A conference event to the statusCallback of the participant that asked for them."""
        room = next(c for c in dial if c.tag == "Conference")
        url = room.get("statusCallback")
        wanted = (room.get("statusCallbackEvent") or "").split()
        if not url or event.removeprefix("participant-").removeprefix("conference-") not in wanted:
            return
        name = (room.text or "").strip()
        sid = self.conference_sids.setdefault(name, new_sid("CF"))
        self.fetch(leg, url, leg.params(StatusCallbackEvent=event, ConferenceSid=sid,
                                        FriendlyName=name, ParticipantLabel=label),
                   callback=True)

    def dial_conference(self, caller: Leg, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        """The caller's <Dial><Conference>: the call is in the conference with the specialist
        waiting there. The specialist's page may act mid-call (`Specialist.during_call`):
        what it asks of Twilio's REST API is played in the room (participants called in,
        held, handed over). The call ends as `Specialist.ends` says (or, handed over, when
        the far end hangs up), then each leg's Dial action runs."""
        name = self.conference_of(verb) or ""
        agent, agent_dial = self.agent, self.agent_dial
        action = verb.get("action")
        if agent is None or agent_dial is None or self.conference_of(agent_dial) != name:
            self.log(caller, "conference", f"the caller is alone in {name}; nobody comes")
            caller.t += self.script.patience
            caller.hung_up = True
            return (action, caller.params(DialCallStatus="completed")) if action else None
        self.log(caller, "conference", f"the caller joins {name}")
        self.log(caller, "bridge", "the specialist is on the line with the caller")
        self.conference_event(agent_dial, "participant-join", caller, "caller")
        room = Room(name, self.conference_sids.setdefault(name, new_sid("CF")), agent_dial,
                    caller, agent)
        self.rest.conferences.known[room.sid] = {caller.sid, agent.sid}
        specialist = self.specialist or Specialist(agent.from_number, talk_seconds=60.0)
        joined = caller.t = max(caller.t, agent.t)  # (the specialist is in after the whisper)
        self.room = room
        for offset, act in sorted(specialist.during_call, key=lambda hook: hook[0]):
            if room.agent is None:
                break
            caller.t = agent.t = self.horizon = joined + offset
            colleagues.advance(self, caller.t)
            if self.clock_sink:  # the page's request is made at the call's time, too
                self.clock_sink(caller.started + timedelta(seconds=caller.t))
            before = self.rest.requests
            act(self)
            settle = getattr(self.transport, "settle", None)
            if settle:
                settle()
            self.await_rest(before, self.rest_wait)
            self.play_room(room)
        self.room = None
        if not room.ended:
            caller.t = max(caller.t, joined + specialist.talk_seconds)
        self.horizon = caller.t
        if room.agent is None:  # handed over: the call goes on with the far end, who ends it
            if not room.ended:
                self.log(caller, "call", "the colleague ends the call with *" if any(
                    colleagues.of(self, sid) for sid in room.others) else "the far end hangs up")
            self.participants_leave(room)
        else:
            self.specialist_ends(room, specialist)
        self.rest.conferences.known.pop(room.sid, None)
        self.conference_event(agent_dial, "conference-end", caller, "caller")
        done = caller.params(DialCallStatus="completed", DialCallDuration=round(caller.t - joined))
        return (action, done) if action else None

    def call_ends(self, caller: Leg, agent: Leg, dial: ET.Element, specialist: Specialist) -> str:
        """Who ends a bridged or conference call, and how (STAR needs the Dial's hangupOnStar)."""
        ends = specialist.ends
        if ends == STAR and dial.get("hangupOnStar") != "true":
            self.log(agent, "specialist", "presses *, but the Dial has no hangupOnStar")
            ends = PHONE
        self.log(caller, "call", {STAR: "the specialist hangs up with * (and stays on the line)",
                                  PHONE: "the specialist hangs up the phone",
                                  CALLER: "the caller hangs up"}.get(ends, ends))
        caller.hung_up = ends == CALLER
        return ends

    def specialist_ends(self, room: Room, specialist: Specialist) -> None:
        """The specialist (or the caller) ends the call; the specialist's leg goes on."""
        agent, caller, agent_dial = room.agent, room.caller, room.dial
        assert agent is not None
        agent.t = caller.t
        ends = self.call_ends(caller, agent, agent_dial, specialist)
        self.participants_leave(room)
        in_room = round(agent.t - self.agent_dial_t)
        agent_done = agent.params(DialCallStatus="completed", DialCallDuration=in_room)
        agent_action = agent_dial.get("action")
        self.agent_dial = None
        if ends == PHONE:
            if agent_action:
                self.fetch(agent, agent_action, agent_done)
            self.agent_leaves(agent)
        elif agent_action:
            self.agent_run(agent, agent_action, agent_done)
        else:
            self.agent_leaves(agent)

    def play_room(self, room: Room) -> None:
        """What the app asked of the REST API for this conference, as Twilio plays it (and
        what the app asks in answer to that, until it asks nothing more)."""
        for _ in range(10):
            if not (self.rest.calls.placed or self.rest.conferences.updates
                    or (room.agent is not None and room.agent.sid in self.rest.calls.redirects)
                    or any(sid in self.rest.calls.hangups for sid in room.others)
                    or colleagues.pending(self)):
                return
            before = self.rest.requests
            self.play_room_once(room)
            self.await_rest(before, REST_AFTER_WEBHOOK)

    def await_rest(self, before: int, first: float) -> None:
        """A server in another process sends what it owes from its outbox thread after it
        answers: wait up to `first` real seconds for its first REST request since `before`
        (the stand-in's count), then until it has been quiet a moment. Nothing in-process."""
        if self.rest_wait <= 0:
            return
        deadline = time.monotonic() + first
        while self.rest.requests == before and time.monotonic() < deadline:
            time.sleep(0.02)
        seen, quiet_since = self.rest.requests, time.monotonic()
        while seen != before and time.monotonic() - quiet_since < REST_QUIET:
            time.sleep(0.02)
            if self.rest.requests != seen:
                seen, quiet_since = self.rest.requests, time.monotonic()

    def play_room_once(self, room: Room) -> None:
        updates, self.rest.conferences.updates = self.rest.conferences.updates, []
        for sid, call_sid, changes in updates:
            if sid != room.sid:
                continue
            label = room.label_of(call_sid)
            if "hold" in changes:
                held = bool(changes["hold"])
                state = "on hold (music)" if held else "back from hold"
                self.log(room.caller, "conference", f"the {label} is {state}")
                self.conference_event(room.dial, "participant-hold" if held else "participant-unhold",
                                      room.caller, label)
            if "end_conference_on_exit" in changes:
                room.end_on_exit[call_sid] = bool(changes["end_conference_on_exit"])
            if "muted" in changes or "coaching" in changes:
                how = ("coaching the specialist" if changes.get("coaching")
                       else "listening (muted)" if changes.get("muted") else "in the call")
                self.log(room.caller, "conference", f"the {label} is now {how}")
        while self.rest.calls.placed:
            self.participant_called(room, self.rest.calls.placed.pop(0))
        for sid in list(room.others):
            if sid in self.rest.calls.hangups:
                self.rest.calls.hangups.discard(sid)
                self.participant_leaves(room, sid)
        for colleague, url in colleagues.redirected(self):
            colleagues.joins(self, room, colleague, url)
        agent = room.agent
        # A hand-over's participant updates come before its redirect (the app made them
        # first): those asked for meanwhile (a status callback's answer) are played first.
        if (agent is not None and agent.sid in self.rest.calls.redirects
                and not self.rest.conferences.updates):
            url = self.rest.calls.redirects.pop(agent.sid)
            self.log(agent, "conference", "the specialist leaves the conference (handed over)")
            room.agent = None
            self.agent_dial = None
            # A participant who leaves with endConferenceOnExit ends it for everyone (TWILIO.md):
            # a hand-over must have turned the specialist's off first.
            room.ended = room.end_on_exit.get(agent.sid, room.dial.find(
                "Conference").get("endConferenceOnExit") == "true")  # type: ignore[union-attr]
            if room.ended:
                self.log(room.caller, "conference", "the conference ends: the specialist left "
                         "with endConferenceOnExit")
            self.agent_run(agent, url, agent.params())

    def participant_called(self, room: Room, placed: dict[str, str]) -> None:
        """A call the app placed into the conference (interpreter, far end, supervisor)."""
        doc = ET.fromstring(placed.get("twiml", "<Response/>"))  # noqa: S314 - the app's TwiML
        conf = doc.find("Dial/Conference")
        label = conf.get("participantLabel", "participant") if conf is not None else "participant"
        number, t = placed["to"], room.caller.t
        leg = Leg(new_sid(), placed.get("from_", ""), number, room.caller.started, t=t,
                  side="participant")
        callback = placed.get("status_callback")
        if number in self.unanswered:
            self.log(room.caller, "network", f"{number} ({label}) does not answer")
            if callback:
                self.fetch(leg, callback, leg.params(CallStatus="no-answer", Direction="outbound-api"),
                           callback=True)
            return
        self.rest.calls.states[leg.sid] = "in-progress"
        room.others[leg.sid] = (label, leg, callback)
        self.rest.conferences.known[room.sid].add(leg.sid)
        how = " (muted: listening)" if conf is not None and conf.get("muted") == "true" else ""
        how = " (coaching the specialist)" if conf is not None and conf.get("coach") else how
        self.log(room.caller, "conference", f"{number} answers: the {label} joins{how}")
        if placed.get("send_digits"):
            self.log(room.caller, "conference", f"DTMF sent to the {label}: {placed['send_digits']}")
        if callback:
            self.fetch(leg, callback, leg.params(CallStatus="in-progress", Direction="outbound-api"),
                       callback=True)
        self.conference_event(room.dial, "participant-join", leg, label)

    def participant_leaves(self, room: Room, sid: str) -> None:
        label, leg, callback = room.others.pop(sid)
        joined_t, leg.t = leg.t, room.caller.t
        colleague = colleagues.of(self, sid)
        if colleague is None:
            self.rest.calls.states[sid] = "completed"
        self.log(room.caller, "conference", f"the {label} leaves")
        self.conference_event(room.dial, "participant-leave", leg, label)
        if colleague is not None:  # their own leg goes on: their Dial action
            colleagues.leaves(self, colleague, leg.t - joined_t)
        if callback:
            self.fetch(leg, callback, leg.params(CallStatus="completed", Direction="outbound-api",
                                                 CallDuration=round(leg.t)), callback=True)

    def participants_leave(self, room: Room) -> None:
        for sid in list(room.others):
            self.participant_leaves(room, sid)


@dataclass
class Room:
    """A conference in progress: the caller, the specialist (None once handed over), and
    the participants the app called in, by CallSid."""

    name: str
    sid: str
    dial: ET.Element  # the specialist's <Dial>, whose <Conference> gets the events
    caller: Leg
    agent: Leg | None
    # the participants the app called in, by CallSid: (label, leg, their status callback)
    others: dict[str, tuple[str, Leg, str | None]] = field(default_factory=dict)
    end_on_exit: dict[str, bool] = field(default_factory=dict)  # as participant updates set it
    ended: bool = False  # a participant with endConferenceOnExit left: over for everyone

    def label_of(self, call_sid: str) -> str:
        if call_sid == self.caller.sid:
            return "caller"
        if self.agent is not None and call_sid == self.agent.sid:
            return "specialist"
        return self.others[call_sid][0] if call_sid in self.others else "participant"
