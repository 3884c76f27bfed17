"""Per-request access to the call: its session, the deployment data, live figures, records."""

from __future__ import annotations

from config.clock import now
from config.extensions import settings, store
from ivr.session import CallSession, CallSessions
from routing.queue_figures import QueueFigures


def sessions() -> CallSessions:
    return CallSessions(store(), settings().session_ttl_seconds)


def figures() -> QueueFigures:
    return QueueFigures(store())


def load_call(call_sid: str) -> CallSession:
    """The caller's session, or a fresh one if it was lost (the flow fills in defaults)."""
    found = sessions().load(call_sid) if call_sid else None
    return found or CallSession(call_sid=call_sid, started_at=now().timestamp())


def save_call(call: CallSession) -> None:
    if call.call_sid:  # a request without a CallSid gets answers but keeps no state
        sessions().save(call)

