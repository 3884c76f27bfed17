"""A stand-in for `twilio.rest.Client`: the REST requests the app makes, kept for the exchange.

The app is handed `RestApi()` where it would have Twilio's client (`twilio_client_factory`);
each request is checked as Twilio checks it (a queue that does not exist, a second queue of
the same name) and raises Twilio's own `TwilioRestException` when Twilio would refuse it.
What is accepted is kept for `ivr.simulator.engine.Exchange`, which plays it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from twilio.base.exceptions import TwilioRestException

API = "https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32
NOT_FOUND = 20404


class RestFault(RuntimeError):
    """A request the app made that Twilio's API itself would reject as malformed."""


def new_sid(prefix: str = "CA") -> str:
    return prefix + uuid.uuid4().hex


def refused(status: int, uri: str, msg: str, code: int) -> TwilioRestException:
    return TwilioRestException(status, f"{API}{uri}", msg, code=code, method="POST")


@dataclass
class Created:
    sid: str


CALL_NOT_IN_PROGRESS = 21220


class RestCallContext:
    """`client.calls(sid)`: `update(url=...)` gives a live call new TwiML (a REST redirect)."""

    def __init__(self, calls: RestCalls, sid: str) -> None:
        self.calls, self.sid = calls, sid

    def update(self, url: str | None = None, method: str = "POST", twiml: str | None = None,
               status: str | None = None) -> Created:
        uri = f"/Calls/{self.sid}.json"
        state = self.calls.states.get(self.sid)
        if self.sid in self.calls.failing:
            raise refused(500, uri, "An internal server error has occurred", 20500)
        if state is None:
            raise refused(404, uri, "The requested resource was not found", NOT_FOUND)
        if state != "in-progress":
            raise refused(400, uri, "Call is not in-progress. Cannot redirect.",
                          CALL_NOT_IN_PROGRESS)
        if not (url or twiml or status):
            raise RestFault("a call update needs url, twiml or status")
        if url:
            self.calls.redirects[self.sid] = url
        if status == "completed":
            self.calls.hangups.add(self.sid)
        self.calls.updated.append({"sid": self.sid, "url": url or "", "method": method})
        return Created(self.sid)


class RestCalls:
    """`client.calls`: `placed` is what the exchange has still to play, `created` every call
    ever asked for; `calls(sid).update(url=...)` redirects a live call: `redirects` holds the
    URL each call is still to take (the exchange plays it at the call's next step), `states`
    every call the exchange knows, in progress or ended, as Twilio would refuse the rest."""

    def __init__(self) -> None:
        self.placed: list[dict[str, str]] = []
        self.created: list[dict[str, str]] = []
        self.states: dict[str, str] = {}
        self.redirects: dict[str, str] = {}
        self.hangups: set[str] = set()  # calls hung up through the API (`status="completed"`)
        self.failing: set[str] = set()  # calls whose updates Twilio answers 500 (a bad moment)
        self.updated: list[dict[str, str]] = []

    def __call__(self, sid: str) -> RestCallContext:
        return RestCallContext(self, sid)

    def create(self, **kwargs: object) -> Created:
        if "to" not in kwargs or "from_" not in kwargs or not ({"url", "twiml"} & kwargs.keys()):
            raise RestFault("a call needs to, from_ and url (or twiml)")
        placed = {key: str(value) for key, value in kwargs.items() if value is not None}
        self.placed.append(placed)
        self.created.append(placed)
        return Created(new_sid())


@dataclass
class RestQueue:
    """A Queue resource: `sid`, `friendly_name`, `max_size`, as Twilio's REST API lists them."""

    sid: str
    friendly_name: str
    max_size: int


class RestQueueContext:
    def __init__(self, queue: RestQueue) -> None:
        self.queue = queue

    def update(self, max_size: int | None = None, friendly_name: str | None = None) -> RestQueue:
        if max_size is not None:
            self.queue.max_size = checked_queue_size(max_size)
        if friendly_name is not None:
            self.queue.friendly_name = friendly_name
        return self.queue


def checked_queue_size(size: int) -> int:
    """Twilio refuses a max_size outside 1..5000 (TWILIO.md)."""
    if not 1 <= int(size) <= 5000:
        raise RestFault(f"a queue's max_size is from 1 to 5000, not {size}")
    return int(size)


class RestQueues:
    """`client.queues`: list, create, and `queues(sid).update(...)`.

    A queue the app never created is made by its first <Enqueue> with the default size
    (`Exchange.queue_size`), as Twilio does; these are the ones the app created or resized."""

    def __init__(self) -> None:
        self.by_sid: dict[str, RestQueue] = {}

    def __call__(self, sid: str) -> RestQueueContext:
        if sid not in self.by_sid:
            raise refused(404, f"/Queues/{sid}.json", "The requested resource was not found",
                          NOT_FOUND)
        return RestQueueContext(self.by_sid[sid])

    def list(self, limit: int | None = None) -> list[RestQueue]:
        return list(self.by_sid.values())[:limit]

    def create(self, friendly_name: str, max_size: int = 100) -> RestQueue:
        if any(q.friendly_name == friendly_name for q in self.by_sid.values()):
            raise refused(400, "/Queues.json", f"A queue named {friendly_name} exists", 22003)
        queue = RestQueue(new_sid("QU"), friendly_name, checked_queue_size(max_size))
        self.by_sid[queue.sid] = queue
        return queue

    def size_of(self, name: str) -> int | None:
        return next((q.max_size for q in self.by_sid.values() if q.friendly_name == name), None)


class RestParticipant:
    """`client.conferences(sid).participants(call_sid)`: `update(hold=..., ...)`."""

    def __init__(self, conferences: RestConferences, sid: str, call_sid: str) -> None:
        self.conferences, self.sid, self.call_sid = conferences, sid, call_sid

    def update(self, **changes: object) -> Created:
        uri = f"/Conferences/{self.sid}/Participants/{self.call_sid}.json"
        if self.sid not in self.conferences.known:
            raise refused(404, uri, "The requested resource was not found", NOT_FOUND)
        if self.call_sid not in self.conferences.known[self.sid]:
            raise refused(404, uri, "The requested resource was not found", NOT_FOUND)
        known = {"hold", "hold_url", "hold_method", "muted", "end_conference_on_exit",
                 "coaching", "call_sid_to_coach", "announce_url"}
        if not changes or set(changes) - known:
            raise RestFault(f"a participant update takes {sorted(known)}, not {sorted(changes)}")
        self.conferences.updates.append((self.sid, self.call_sid, dict(changes)))
        return Created(self.call_sid)


class RestConference:
    def __init__(self, conferences: RestConferences, sid: str) -> None:
        self.conferences, self.sid = conferences, sid

    def participants(self, call_sid: str) -> RestParticipant:
        return RestParticipant(self.conferences, self.sid, call_sid)


class RestConferences:
    """`client.conferences`: the exchange lists each conference in progress (`known`: its
    SID -> the CallSids in it); `updates` are the participant updates still to play."""

    def __init__(self) -> None:
        self.known: dict[str, set[str]] = {}
        self.updates: list[tuple[str, str, dict[str, object]]] = []

    def __call__(self, sid: str) -> RestConference:
        return RestConference(self, sid)


class RestApi:
    """`twilio.rest.Client` as far as the app uses it: calls, queues and conferences."""

    def __init__(self) -> None:
        self.calls = RestCalls()
        self.queues = RestQueues()
        self.conferences = RestConferences()
        self.requests = 0  # REST requests served over HTTP (`rest_http`), so the exchange can wait

