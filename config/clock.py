"""The clock every time-dependent decision reads: injected, so tests and the simulator set the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The app's current time (timezone-aware, UTC)."""
    clock: Clock = current_app.extensions.get("clock", system_clock)
    return clock()
