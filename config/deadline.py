"""A webhook's deadline, and who answered it: the view, or its fallback.

Twilio waits 15 s for a webhook; ours answer within a budget of a few seconds counted from
when the request arrived (`request_start`: the `X-Request-Start` stamp of a proxy or of our
gunicorn worker, `config.gunicorn_worker`), so time spent queued counts too. A `Ticket`
holds that deadline for one request and settles, once, who answers it:

- the view *commits* to its answer before it acts on a decision the caller has not heard
  yet (putting them in a queue, transferring them): from then on its answer stands, and
  the webhook waits for it (a little past the deadline if need be, `COMMITTED_GRACE`);
- the webhook *gives up* at the deadline on a view that has not committed: the caller gets
  the fallback, and the view, which goes on running on its own thread, is refused its
  commit (`Abandoned`), so it never records a route the caller was not given.

What a view records whatever it answers (an answered bridge, a closed call, a survey answer)
is true either way and is always kept. Code below the webhook reads the current ticket
(`current()`, a context variable) to bound its own waits by what is left: the database's
pool, read and connect waits (`config.database`) and the durable writer (`config.durable`),
which sends a write that cannot finish in time to the local journal instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

# A committed view may run this much past the deadline (its database wait is cut at the
# deadline; what is left is a journal append and the store's short timeouts).
COMMITTED_GRACE = 1.5
# A stamp further from now than this is a wrong clock, not a queue: ignored.
MAX_QUEUED = 60.0

OPEN, COMMITTED, GAVE_UP = "open", "committed", "gave-up"


class SupportsGet(Protocol):
    def get(self, key: str, default: str) -> str: ...


class Abandoned(RuntimeError):
    """The webhook already answered its fallback: this view must not act on its own answer."""


class Ticket:
    def __init__(self, deadline: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.deadline = deadline  # on `clock`
        self._clock = clock
        self._lock = threading.Lock()
        self.state = OPEN

    def remaining(self) -> float:
        return self.deadline - self._clock()

    def claim(self) -> None:
        """The view's answer will stand; raises `Abandoned` if the fallback was answered,
        or if the deadline has passed (the webhook is giving up on it at this moment)."""
        with self._lock:
            if self.state == GAVE_UP or (self.state == OPEN and self.remaining() <= 0):
                self.state = GAVE_UP
                raise Abandoned("the webhook answered its fallback")
            self.state = COMMITTED

    def give_up(self) -> bool:
        """The deadline came: answer the fallback, unless the view has committed (False)."""
        with self._lock:
            if self.state == COMMITTED:
                return False
            self.state = GAVE_UP
            return True

    @property
    def abandoned(self) -> bool:
        return self.state == GAVE_UP


_current: ContextVar[Ticket | None] = ContextVar("webhook_ticket", default=None)


def current() -> Ticket | None:
    return _current.get()


@contextmanager
def bound(ticket: Ticket | None) -> Iterator[None]:
    """Make `ticket` the current one for this thread's block (the view's own thread)."""
    token = _current.set(ticket)
    try:
        yield
    finally:
        _current.reset(token)


def remaining(default: float) -> float:
    """Seconds left before the current webhook's deadline; `default` outside a webhook."""
    ticket = _current.get()
    return default if ticket is None else min(default, ticket.remaining())


def commit_to_answer() -> None:
    """Call before acting on the answer (see `Ticket.claim`); a no-op outside a webhook."""
    ticket = _current.get()
    if ticket is not None:
        ticket.claim()


def request_start(headers: SupportsGet, now: float) -> float:
    """When the request reached us, in `time.time()` seconds, from `X-Request-Start`
    (`t=<seconds|ms|µs>`, as nginx, Heroku and New Relic write it); `now` without one.

    A missing, garbled or implausible stamp (ahead of now, or more than a minute old: a
    clock apart, not a queue) counts as arriving now, so it can never make us answer later.
    """
    raw = headers.get("X-Request-Start", "").strip()
    raw = raw[2:] if raw.startswith("t=") else raw
    try:
        stamp = float(raw)
    except ValueError:
        return now
    if stamp > 1e14:
        stamp /= 1e6
    elif stamp > 1e11:
        stamp /= 1e3
    if not now - MAX_QUEUED <= stamp <= now + 0.5:
        return now
    return min(stamp, now)
