"""The calls being answered now, each a Twilio conference: who is on it, for every worker.

Kept in the shared store: written when a specialist claims a caller, kept up to date by
Twilio's conference events (`ivr.conference`), read by the call controls, the specialist's
page and the supervisor board. Losing it never drops a call (Twilio holds the conference);
the controls then answer that the call is not known, and the board misses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from config.shared_store import SharedStore

LIVE_TTL = 6 * 3600
INDEX = "live:calls"
LABELS = ("caller", "specialist", "interpreter", "transfer", "supervisor")


def conference_name(caller_sid: str) -> str:
    """The conference a caller is answered in: named for their call, so any worker finds it."""
    return f"call-{caller_sid}"


def caller_of(conference: str) -> str | None:
    return conference.removeprefix("call-") if conference.startswith("call-") else None


@dataclass
class LiveCall:
    caller_sid: str
    agent_sid: str = ""
    specialist_id: int | None = None
    provider: str | None = None
    conference_name: str = ""
    conference_sid: str | None = None  # Twilio's CF..., from the conference-start event
    language: str = "en"
    interpreter: str | None = None
    region: str | None = None
    need: str | None = None
    answered_at: float = 0.0
    on_hold_since: float | None = None
    crisis: bool = False
    participants: dict[str, str] = field(default_factory=dict)  # label -> CallSid
    transfer: dict[str, Any] | None = None  # a transfer under way (kind, target, state)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiveCall:
        return cls(**{k: v for k, v in data.items() if k in _FIELDS})

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(LiveCall))


class LiveCalls:
    def __init__(self, store: SharedStore) -> None:
        self.store = store

    @staticmethod
    def _key(caller_sid: str) -> str:
        return f"live:{caller_sid}"

    def start(self, call: LiveCall) -> None:
        with self.store.batch() as writes:
            writes.set_json(self._key(call.caller_sid), call.to_dict(), ttl=LIVE_TTL)
            writes.zadd(INDEX, call.caller_sid, call.answered_at)

    def get(self, caller_sid: str) -> LiveCall | None:
        data = self.store.get_json(self._key(caller_sid))
        return LiveCall.from_dict(data) if isinstance(data, dict) else None

    def update(self, caller_sid: str, **changes: Any) -> LiveCall | None:
        """Read, change, write back. Not atomic across workers: Twilio's events for one
        conference and one specialist's controls are the only writers of a call."""
        call = self.get(caller_sid)
        if call is None:
            return None
        for name, value in changes.items():
            setattr(call, name, value)
        self.store.set_json(self._key(caller_sid), call.to_dict(), ttl=LIVE_TTL)
        return call

    def end(self, caller_sid: str) -> None:
        with self.store.batch() as writes:
            writes.delete(self._key(caller_sid))
            writes.zrem(INDEX, caller_sid)

    def all(self, now: float) -> list[LiveCall]:
        """The live calls, oldest first; entries older than the TTL are dropped."""
        self.store.zremrangebyscore(INDEX, 0, now - LIVE_TTL)
        calls = [self.get(sid) for sid, _ in self.store.zrange(INDEX)]
        return [call for call in calls if call is not None]
