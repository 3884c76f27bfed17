"""The live call session: what the caller has told us so far, keyed by CallSid, with a TTL.

Stored in the shared store so any worker can take the next webhook. Losing it must never
lose the caller: `load` always returns a usable session, and the flow fills gaps with
defaults (caller ID, English, the safe-route provider).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from config.shared_store import SharedStore
from config.versioned_cache import get_json_with_counters


@dataclass
class CallSession:
    call_sid: str
    started_at: float = 0.0  # epoch seconds of the first webhook
    caller_hash: str | None = None
    area_code: str | None = None
    language: str = "en"
    interpreter: str | None = None  # ISO code, or "und" when the caller's language was not matched
    region: str | None = None
    region_source: str | None = None  # caller_id | speech | postal | default
    candidate_regions: list[str] = field(default_factory=list)
    need: str | None = None
    provider: str | None = None
    queue: str | None = None
    enqueued_at: float | None = None
    answered_at: float | None = None
    transferred: bool = False
    max_wait_seconds: int | None = None
    overflow_provider: str | None = None
    overflowed: bool = False
    queue_failed: bool = False  # Twilio answered an Enqueue with QueueResult error
    informed: bool = False  # heard disaster mode's recorded information
    routing_trace: list[dict[str, Any]] = field(default_factory=list)
    # Callbacks (ivr.callback_voice): the rule's threshold, whether the offer was made (its
    # row exists), the callback this caller accepted, and on a call back's own leg, its id.
    callback_after_seconds: int | None = None
    callback_offered: bool = False
    callback_id: int | None = None
    callee_of: int | None = None
    lost: bool = False  # rebuilt from nothing (no session in the store, no state in the URL)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallSession:
        """Unknown keys (from an older or newer deploy) are dropped, missing ones defaulted."""
        return cls(**{k: v for k, v in data.items() if k in _KNOWN})

    def to_dict(self) -> dict[str, Any]:
        """The fields as they are, for the store's JSON encoder.

        `dataclasses.asdict` deep-copies every nested list and dict (the routing trace) only
        for the encoder to read them once; a shallow dict gives the same JSON for a fraction
        of the time, on every webhook that moves the call along.
        """
        return {name: getattr(self, name) for name in FIELD_NAMES}


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(CallSession))
_KNOWN = frozenset(FIELD_NAMES)


class CallSessions:
    def __init__(self, store: SharedStore, ttl_seconds: int) -> None:
        self.store = store
        self.ttl = ttl_seconds

    @staticmethod
    def _key(call_sid: str) -> str:
        return f"call:{call_sid}"

    def load(self, call_sid: str) -> CallSession | None:
        """The call's session (with the request's version counters, if not read yet: one
        round trip for both)."""
        data = get_json_with_counters(self.store, self._key(call_sid))
        return CallSession.from_dict(data) if isinstance(data, dict) else None

    def save(self, session: CallSession) -> None:
        self.store.set_json(self._key(session.call_sid), session.to_dict(), ttl=self.ttl)

    def drop(self, call_sid: str) -> None:
        self.store.delete(self._key(call_sid))
