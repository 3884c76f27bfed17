"""Per-request access to the call: its session, live queue figures.

`sessions`, `figures` and `save_call` write to the shared store, or to `writes` when given:
a `store().batch()` that sends a webhook's independent writes in one round trip.
"""

from __future__ import annotations

from config.clock import now
from config.extensions import settings, store
from config.shared_store import SharedStore
from ivr.session import CallSession, CallSessions
from routing.queue_figures import QueueFigures


def sessions(writes: SharedStore | None = None) -> CallSessions:
    return CallSessions(store() if writes is None else writes, settings().session_ttl_seconds)


def figures(writes: SharedStore | None = None) -> QueueFigures:
    return QueueFigures(store() if writes is None else writes)


def load_call(call_sid: str) -> CallSession:
    """The caller's session, or a fresh one if it was lost (the flow fills in defaults)."""
    found = sessions().load(call_sid) if call_sid else None
    return found or CallSession(call_sid=call_sid, started_at=now().timestamp())


def save_call(call: CallSession, writes: SharedStore | None = None) -> None:
    if call.call_sid:  # a request without a CallSid gets answers but keeps no state
        sessions(writes).save(call)

