"""Circuit breakers for the two dependencies a webhook can wait on: PostgreSQL and Redis.

A dead or silent server must not be waited on by every request. After a failure the breaker
opens: for `cooldown` seconds callers skip the dependency at once (and take their degraded
path); then one caller at a time is let through to probe it, and its success closes the
breaker again. Going down and coming back are each logged once, as one line, not a
traceback per request; the `helpline_dependency_up` gauge says which is up now.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import Gauge

log = logging.getLogger(__name__)

DEPENDENCY_UP = Gauge("helpline_dependency_up", "1 while the dependency answers, 0 while it is down",
                      ["dependency"], multiprocess_mode="liveall")


class DependencyDown(RuntimeError):
    """The dependency is known to be down (its breaker is open), or just failed: skip it."""


class Breaker:
    """Closed (use the dependency), open (skip it), half-open (one probe at a time)."""

    def __init__(self, name: str, cooldown: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._last_try = 0.0
        self._local = threading.local()  # the probe granted to this thread, and when
        DEPENDENCY_UP.labels(name).set(1)

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """May this caller use the dependency now? Cheap when closed (no lock)."""
        if self._opened_at is None:
            return True
        at = self._clock()
        if at - getattr(self._local, "granted", -1e18) < self.cooldown:
            return True  # this thread is the one probing: let all of its steps through
        with self._lock:
            if self._opened_at is None:
                return True
            if at - self._last_try < self.cooldown:
                return False
            self._last_try = self._local.granted = at  # this caller probes; others skip
            return True

    def succeeded(self) -> None:
        if self._opened_at is None:
            return
        with self._lock:
            if self._opened_at is not None:
                down_for = self._clock() - self._opened_at
                log.warning("%s is back (skipped for %.1f s)", self.name, down_for)
                DEPENDENCY_UP.labels(self.name).set(1)
            self._opened_at = None

    def failed(self, err: BaseException | str) -> None:
        with self._lock:
            if self._opened_at is None:
                reason = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
                log.error("%s is down (%s); answering without it until it returns",
                          self.name, str(reason).splitlines()[0][:200] if str(reason) else "")
                DEPENDENCY_UP.labels(self.name).set(0)
                self._opened_at = self._last_try = self._clock()
