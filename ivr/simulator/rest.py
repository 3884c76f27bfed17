"""A stand-in for `twilio.rest.Client`: the REST requests the app makes, kept for the exchange.

The app is handed `RestApi()` where it would have Twilio's client (`twilio_client_factory`);
each request is checked as Twilio checks it (a call that is not in progress cannot be
redirected, a conference that ended has no participants to change) and raises Twilio's own
`TwilioRestException` when Twilio would refuse it. What is accepted is queued for
`ivr.simulator.engine.Exchange`, which plays it on the legs it keeps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from twilio.base.exceptions import TwilioRestException

API = "https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32
NOT_FOUND, NOT_IN_PROGRESS = 20404, 21220


class RestFault(RuntimeError):
    """A request the app made that Twilio's API itself would reject as malformed."""


def new_sid(prefix: str = "CA") -> str:
    return prefix + uuid.uuid4().hex


def refused(status: int, uri: str, msg: str, code: int) -> TwilioRestException:
    return TwilioRestException(status, f"{API}{uri}", msg, code=code, method="POST")


@dataclass
class Created:
    sid: str


class RestCallContext:
    def __init__(self, calls: RestCalls, sid: str) -> None:
        self.calls, self.sid = calls, sid

    def update(self, **kwargs: object) -> Created:
        """Redirect a live call (`url`/`twiml`) or end it (`status="completed"`)."""
        if self.sid not in self.calls.active:
            raise refused(400, f"/Calls/{self.sid}.json",
                          "Call is not in-progress. Cannot redirect.", NOT_IN_PROGRESS)
        if not ({"url", "twiml", "status"} & kwargs.keys()):
            raise RestFault("a call update needs url, twiml or status")
        update = {"sid": self.sid} | {key: str(value) for key, value in kwargs.items()}
        self.calls.updates.append(update)
        self.calls.updated.append(update)
        return Created(self.sid)


class RestCalls:
    """`client.calls`: `create(...)` and `calls(sid).update(...)`.

    `placed` is what the exchange has still to play, `created` every call ever asked for;
    `active` the calls in progress now (the exchange keeps it), `updates` the redirects
    still to play and `updated` all of them."""

    def __init__(self) -> None:
        self.placed: list[dict[str, str]] = []
        self.created: list[dict[str, str]] = []
        self.active: set[str] = set()
        self.updates: list[dict[str, str]] = []
        self.updated: list[dict[str, str]] = []

    def __call__(self, sid: str) -> RestCallContext:
        return RestCallContext(self, sid)

    def create(self, **kwargs: object) -> Created:
        if "to" not in kwargs or "from_" not in kwargs or not ({"url", "twiml"} & kwargs.keys()):
            raise RestFault("a call needs to, from_ and url (or twiml)")
        placed = {key: str(value) for key, value in kwargs.items()} | {"sid": new_sid()}
        self.placed.append(placed)
        self.created.append(placed)
        return Created(placed["sid"])


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


@dataclass
class LiveConference:
    """A conference in progress, as the exchange keeps it: who is in, by label and CallSid."""

    sid: str
    name: str
    participants: dict[str, str] = field(default_factory=dict)  # CallSid -> label
    ended: bool = False

    def call_sid(self, label_or_sid: str) -> str | None:
        if label_or_sid in self.participants:
            return label_or_sid
        return next((sid for sid, label in self.participants.items() if label == label_or_sid), None)


@dataclass
class ParticipantRequest:
    """One accepted Participants (or Conference) request, for the exchange to play."""

    op: str  # create | update | delete | end
    conference: str  # the conference's friendly name
    call_sid: str | None = None
    args: dict[str, str] = field(default_factory=dict)


class RestParticipantContext:
    def __init__(self, conferences: RestConferences, conf: LiveConference, target: str) -> None:
        self.conferences, self.conf, self.target = conferences, conf, target

    def _call_sid(self) -> str:
        sid = self.conf.call_sid(self.target)
        if sid is None:
            raise refused(404, f"/Conferences/{self.conf.sid}/Participants/{self.target}.json",
                          "The requested resource was not found", NOT_FOUND)
        return sid

    def update(self, **kwargs: object) -> Created:
        sid = self._call_sid()
        if kwargs.get("coaching") in (True, "true") and not kwargs.get("call_sid_to_coach"):
            raise RestFault("coaching needs call_sid_to_coach")
        self.conferences.queue(ParticipantRequest("update", self.conf.name, sid, strings(kwargs)))
        return Created(sid)

    def delete(self) -> bool:
        self.conferences.queue(ParticipantRequest("delete", self.conf.name, self._call_sid()))
        return True


class RestParticipants:
    def __init__(self, conferences: RestConferences, conf: LiveConference) -> None:
        self.conferences, self.conf = conferences, conf

    def __call__(self, label_or_sid: str) -> RestParticipantContext:
        return RestParticipantContext(self.conferences, self.conf, label_or_sid)

    def create(self, from_: str, to: str, **kwargs: object) -> Created:
        """Dial `to` into the conference (Twilio: a new outbound call, then it joins)."""
        label = str(kwargs.get("label") or "")
        if label and self.conf.call_sid(label):
            raise refused(400, f"/Conferences/{self.conf.sid}/Participants.json",
                          f"A participant labelled {label} is in the conference", 16025)
        sid = new_sid()
        args = strings(kwargs) | {"from_": from_, "to": to}
        self.conferences.queue(ParticipantRequest("create", self.conf.name, sid, args))
        return Created(sid)


class RestConferenceContext:
    def __init__(self, conferences: RestConferences, conf: LiveConference) -> None:
        self.conferences, self.conf = conferences, conf
        self.participants = RestParticipants(conferences, conf)

    def update(self, status: str | None = None, **kwargs: object) -> Created:
        if status == "completed":
            self.conferences.queue(ParticipantRequest("end", self.conf.name))
        return Created(self.conf.sid)


def strings(kwargs: dict[str, object]) -> dict[str, str]:
    """Parameters as Twilio receives them: booleans as 'true'/'false'."""
    return {key: (str(value).lower() if isinstance(value, bool) else str(value))
            for key, value in kwargs.items() if value is not None}


class RestConferences:
    """`client.conferences(sid)`: its participants, and `update(status="completed")`.

    A conference is addressed by its SID (CF...); to add a participant Twilio also takes the
    friendly name. One that ended, or never began, answers 404 (error 20404)."""

    def __init__(self) -> None:
        self.live: dict[str, LiveConference] = {}  # by friendly name, kept by the exchange
        self.pending: list[ParticipantRequest] = []
        self.played: list[ParticipantRequest] = []

    def __call__(self, sid_or_name: str) -> RestConferenceContext:
        conf = next((c for c in self.live.values()
                     if not c.ended and sid_or_name in (c.sid, c.name)), None)
        if conf is None:
            raise refused(404, f"/Conferences/{sid_or_name}.json",
                          "The requested resource was not found", NOT_FOUND)
        return RestConferenceContext(self, conf)

    def queue(self, request: ParticipantRequest) -> None:
        self.pending.append(request)
        self.played.append(request)

    def started(self, name: str) -> LiveConference:
        """The exchange: a first participant joined the conference named `name`."""
        conf = self.live.get(name)
        if conf is None or conf.ended:
            conf = self.live[name] = LiveConference(new_sid("CF"), name)
        return conf


class RestApi:
    """`twilio.rest.Client` as far as the app uses it: calls, queues, conferences."""

    def __init__(self) -> None:
        self.calls = RestCalls()
        self.queues = RestQueues()
        self.conferences = RestConferences()


__all__ = ["Created", "RestApi", "RestFault", "TwilioRestException", "checked_queue_size", "new_sid"]

