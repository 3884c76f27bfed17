"""Many callers at once, as on the worst day: each on a thread of its own, placing whole calls.

`Crowd.run()` starts `callers` threads; each places calls one after another (the plans in
turn) until it has placed `calls_each`, or until `stop()`. Every call runs through its own
`Exchange` (its own queue, and the specialist who staffs that queue dialling in), so the
app sees as many calls in flight as there are callers, each walking the whole flow. Each
request is timed and kept with what it carried, so that afterwards one can check what every
call got (`Placed`) and what the app should have stored.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ivr.simulator.engine import CallerScript, Exchange, SimulationError, Specialist
from ivr.simulator.transcript import Transcript
from ivr.simulator.transport import Transport

# What the safe route says (config/prompts/*.json "error_route"), in either language.
SAFE_ROUTE_WORDS = ("something went wrong", "un problème est survenu")
TURNED_AWAY_WORDS = ("not registered", "cannot check this specialist line")
FALLBACK_URLS = {"caller": "/voice/fallback", "agent": "/agent/fallback"}


@dataclass(frozen=True)
class Plan:
    """One kind of caller: who dials, what they answer, and what they should get."""

    from_number: str
    inputs: tuple[str, ...]
    language: str  # "en" or "fr": the language every prompt after the menu must be in
    region: str  # the region the call must be filed under
    answers: int  # survey answers the caller gives
    interpreter: str = ""  # an interpreter caller also hears "please hold" in this language


@dataclass(frozen=True)
class Request:
    path: str
    seconds: float
    status: int | None  # None: no answer at all (refused, cut, or past Twilio's 15 s)
    survey_answer: bool  # an answer to a survey question (keys or speech) the app took
    question: str = ""  # the survey question it answered (the `q` of our answer URL)


@dataclass
class Placed:
    """One call as Twilio saw it."""

    plan: Plan
    sid: str = ""
    requests: list[Request] = field(default_factory=list)
    transcript: Transcript = field(default_factory=Transcript)
    failures: list[str] = field(default_factory=list)  # requests sent on to the fallback URL
    error: str | None = None  # the call broke: Twilio would have played its own error

    def _said(self, words: Sequence[str]) -> bool:
        return any(w in line.text for line in self.transcript.lines for w in words)

    @property
    def bridged(self) -> bool:
        return any("the specialist is on the line" in line.text for line in self.transcript.lines)

    @property
    def safe_routed(self) -> bool:
        return self._said(SAFE_ROUTE_WORDS)

    @property
    def turned_away(self) -> bool:
        """A specialist was told their line is not registered or cannot be checked."""
        return self._said(TURNED_AWAY_WORDS)

    @property
    def queues(self) -> list[str]:
        return [line.text.split("queue ", 1)[1].split(" ")[0] for line in self.transcript.lines
                if line.who == "queue" and "joins queue" in line.text]

    @property
    def questions_answered(self) -> set[str]:
        """The survey questions the caller answered: one each, however often a question was
        asked (again when an answer was not understood, as when a shed earlier step has
        put the caller's scripted keys on the wrong question); the database keeps one
        answer per call and question."""
        return {r.question for r in self.requests if r.survey_answer}

    def paths_asked(self) -> list[str]:
        """The webhooks the call asked, in order, each marked ! if it got no answer."""
        return [r.path + ("" if r.status == 200 else "!") for r in self.requests]

    def said_after_menu(self) -> list[tuple[str, str]]:
        """(language, text) of everything said to the caller after they chose a language."""
        lines = self.transcript.lines
        first = next((i for i, line in enumerate(lines) if line.who == "caller"), len(lines))
        return [(line.who.split("[", 1)[1].split("-")[0], line.text) for line in lines[first:]
                if "[" in line.who and not line.who.startswith("to specialist")]

    def languages_after_menu(self) -> set[str]:
        return {language for language, _ in self.said_after_menu()}

    @property
    def dropped(self) -> bool:
        """The caller never reached a person: the call broke, or it ended before a bridge."""
        return self.error is not None or not self.bridged


class Recording:
    """A transport that times each request and notes what it carried (one per call)."""

    def __init__(self, inner: Transport, crowd: Crowd, placed: Placed) -> None:
        self.inner = inner
        self.crowd = crowd
        self.placed = placed
        self.public_base_url = inner.public_base_url

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        self.crowd.before_request()
        if not self.placed.sid:
            self.placed.sid = params.get("CallSid", "")
        parts = urllib.parse.urlsplit(url)
        path = parts.path
        answer = path == "/survey/answer" and bool(params.get("Digits") or params.get("SpeechResult"))
        question = urllib.parse.parse_qs(parts.query).get("q", [""])[0]
        started = time.perf_counter()
        try:
            status, body = self.inner.post(url, params)
        except Exception:
            self.placed.requests.append(Request(path, time.perf_counter() - started, None, False))
            raise
        self.placed.requests.append(
            Request(path, time.perf_counter() - started, status, answer and status == 200,
                    question if answer else ""))
        return status, body


@dataclass
class Crowd:
    """`transport()` makes one transport per caller thread; `staff`: queue -> specialist phone."""

    transport: Callable[[], Transport]
    plans: Sequence[Plan]
    staff: dict[str, str]
    start: Callable[[], datetime]
    fallback_urls: dict[str, str] = field(default_factory=lambda: dict(FALLBACK_URLS))
    callback_retries: int = 1
    answer_after: float = 40.0  # seconds in queue before the specialist dials in: hold polls
    think: float = 0.0  # real seconds a caller waits before each request (listening, pressing)
    on_request: Callable[[int], None] | None = None  # told the crowd's request count, before each
    placed: list[Placed] = field(default_factory=list)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def before_request(self) -> None:
        with self._lock:
            self.requests += 1
            count = self.requests
        if self.on_request is not None:
            self.on_request(count)
        if self.think:
            time.sleep(self.think)

    def stop(self) -> None:
        self._stop.set()

    def run(self, callers: int, calls_each: int | None = None) -> list[Placed]:
        """Place calls from `callers` threads at once; returns the calls placed in this run."""
        self._stop.clear()
        first = len(self.placed)
        threads = [threading.Thread(target=self._caller, args=(i, callers, calls_each),
                                    name=f"caller-{i}", daemon=True) for i in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self.placed[first:]

    def _caller(self, index: int, callers: int, calls_each: int | None) -> None:
        transport = self.transport()
        placed = 0
        while not self._stop.is_set() and (calls_each is None or placed < calls_each):
            plan = self.plans[(index + placed * callers) % len(self.plans)]
            call = self.place(transport, plan)
            with self._lock:
                self.placed.append(call)
            placed += 1

    def place(self, transport: Transport, plan: Plan) -> Placed:
        placed = Placed(plan)
        exchange = Exchange(Recording(transport, self, placed), self.start(),
                            fallback_urls=self.fallback_urls,
                            callback_retries=self.callback_retries)
        exchange.transcript = placed.transcript
        specialist = Specialist(next(iter(self.staff.values())), self.answer_after,
                                by_queue=self.staff)
        try:
            exchange.place_call(CallerScript(plan.from_number, list(plan.inputs)), specialist)
        except SimulationError as err:
            placed.error = str(err)
        placed.failures = exchange.failures
        return placed
