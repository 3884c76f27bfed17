"""The live calls: each answered call is a Twilio <Conference> named for the caller's call.

A live call is born when a specialist claims a waiting caller (`ivr.conference`), before
either leg is in the conference, and is kept in the shared store so that whichever worker
serves the caller's join, a conference event, the specialist's after-call or (later) a call
control finds the same facts. It is a convenience for the call in progress: the durable
record of what happened is the call record (`ivr.records`), written at the same moments.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from config.shared_store import SharedStore

LIVE_TTL = 12 * 3600  # far longer than any call; the key is dropped when the call ends
ENDED_TTL = 600  # an ended live call is kept this long (see `LiveCalls.end`)
INDEX = "live:calls"  # every live call by claim time: the supervisor board's list


def conference_name(caller_sid: str) -> str:
    """One conference per answered call, named for the caller's CallSid."""
    return f"call-{caller_sid}"


@dataclass
class LiveCall:
    caller_sid: str
    agent_sid: str
    specialist_id: int
    provider: str
    claimed_at: float  # epoch: the specialist was given this caller
    joined_queue_at: float  # epoch: when the caller joined the queue (their place in line)
    joined_at: float | None = None  # epoch: the caller reached the conference
    conference_sid: str | None = None  # Twilio's, from the first conference event
    # When each party entered the conference (its participant-join event): the talk is from
    # the later of the two (not the whisper, not the wait for the redirect).
    caller_in: float | None = None
    specialist_in: float | None = None
    # The call controls' state (ivr.call_controls): when the caller went on hold, the
    # transfer in progress ({"kind", "target_kind", "target", "sid", "answered"}) and the
    # interpreters asked for or on the line ({"vendor", "language", "sid"}).
    hold_since: float | None = None
    transfer: dict[str, Any] | None = None
    interpreters: list[dict[str, Any]] = field(default_factory=list)
    # Supervisors on the line, by the phone they joined from: that participant's CallSid (a
    # second mode from the same phone changes their participant rather than calling again).
    supervisors: dict[str, str] = field(default_factory=dict)
    crisis: bool = False
    ended_at: float | None = None

    @property
    def conference(self) -> str:
        return conference_name(self.caller_sid)

    @property
    def talk_from(self) -> float | None:
        if self.caller_in and self.specialist_in:
            return max(self.caller_in, self.specialist_in)
        return self.joined_at

    @classmethod
    def from_json(cls, raw: Any) -> LiveCall | None:
        if not isinstance(raw, dict):
            return None
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in raw.items() if k in known})
        except TypeError:
            return None


class LiveCalls:
    """Live calls in the shared store, by the caller's CallSid."""

    def __init__(self, store: SharedStore) -> None:
        self.store = store

    @staticmethod
    def key(caller_sid: str) -> str:
        return f"live:{caller_sid}"

    def save(self, live: LiveCall) -> None:
        self.store.set_json(self.key(live.caller_sid), asdict(live), ttl=LIVE_TTL)
        self.store.zadd(INDEX, live.caller_sid, live.claimed_at)

    def get(self, caller_sid: str) -> LiveCall | None:
        return LiveCall.from_json(self.store.get_json(self.key(caller_sid))) if caller_sid else None

    def end(self, live: LiveCall, at: float) -> None:
        """The specialist left: kept a little while as ended, so a redirect that lands after
        it puts the caller back in line rather than into an empty conference."""
        live.ended_at = at
        self.store.set_json(self.key(live.caller_sid), asdict(live), ttl=ENDED_TTL)
        self.store.zrem(INDEX, live.caller_sid)

    def drop(self, caller_sid: str) -> None:
        """A claim taken back before anyone joined (see `conference.give_back`)."""
        self.store.delete(self.key(caller_sid))
        self.store.zrem(INDEX, caller_sid)

    def all(self) -> list[LiveCall]:
        found = (self.get(sid) for sid, _ in self.store.zrange(INDEX))
        return [live for live in found if live is not None and not live.ended_at]
