"""Per-request access to the call: its session, live queue figures.

`sessions`, `figures` and `save_call` write to the shared store, or to `writes` when given:
a `store().batch()` that sends a webhook's independent writes in one round trip.

The store is an optimisation for the call, never a dependency: `load_call` rebuilds the
session from the facts in the webhook's URL when the store is down or lost it, and
`best_effort` lets a webhook's store writes fail without failing the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context, request

from config.breaker import DependencyDown
from config.clock import now
from config.database import db_session
from config.durable import is_unavailable
from config.extensions import settings, store
from config.shared_store import SharedStore
from ivr.call_state import apply_url_state
from ivr.metrics import degraded
from ivr.session import CallSession, CallSessions
from routing.store.queue_figures import QueueFigures


def sessions(writes: SharedStore | None = None) -> CallSessions:
    return CallSessions(store() if writes is None else writes, settings().session_ttl_seconds)


def figures(writes: SharedStore | None = None) -> QueueFigures:
    return QueueFigures(store() if writes is None else writes)


@contextmanager
def best_effort() -> Iterator[None]:
    """Store work the call can do without: if the store is down, carry on (and count it)."""
    try:
        yield
    except DependencyDown:
        degraded("redis")


def database_allowed() -> bool:
    """False while the database's breaker is open: optional reads are skipped rather than
    tried (a pool checkout refused by the breaker surfaces as SQLAlchemy's
    InvalidRequestError "This connection is closed", not as the database being away)."""
    return bool(current_app.extensions["db_breaker"].allow())


@contextmanager
def best_effort_shared() -> Iterator[None]:
    """Work that needs the store and the database and that the call can do without (a
    callback offered or claimed): if either is away, count it, roll the request's session
    back and carry on with the plain path."""
    try:
        yield
    except Exception as err:
        if not (isinstance(err, DependencyDown) or is_unavailable(err)):
            raise
        degraded("redis" if isinstance(err, DependencyDown) else "database")
        db_session().rollback()


def load_call(call_sid: str) -> CallSession:
    """The caller's session: from the store, with the URL's facts on top (they are what the
    TwiML that led here said); rebuilt from the URL, or fresh, if the store has none.

    A rebuilt session has no caller pseudonym: it is a slow hash (scrypt, tens of ms), so it
    is made again only when a call record is written (`records.pseudonym`), never on every
    webhook of every call while Redis is away (that alone doubled the CPU of a call)."""
    found = None
    if call_sid:
        with best_effort():
            found = sessions().load(call_sid)
    call = found or CallSession(call_sid=call_sid, started_at=now().timestamp())
    from_url = has_request_context() and apply_url_state(call, request.args)
    # A session saved after a rebuild from nothing is still no better than defaults.
    call.lost = not from_url and (found is None or found.lost)
    return call


def save_call(call: CallSession, writes: SharedStore | None = None) -> None:
    if call.call_sid:  # a request without a CallSid gets answers but keeps no state
        with best_effort():
            sessions(writes).save(call)
