"""A provider's live queue figures as the rules and the hold message read them, and the wait
estimate: plain values and arithmetic (`routing.store.queue_figures` keeps them in the store)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    waiting: int
    longest_wait: float
    average_wait: float
    specialists: int
    handle_time: float = 0.0  # the recent average talk time, seconds (0: not known yet)
    callbacks: int = 0  # callbacks owed: they keep their place, so a caller joining now is after them


def estimate_wait(figures: Figures, position: int) -> float:
    """The hold message's estimate, as a pure function so routing rules can use it too.

    With specialists on duty and a known talk time, the queue is an M/M/N one in which
    every specialist is busy: calls end at N / talk-time per second, so the caller at
    `position` is reached after about position x talk-time / N. Before any talk time is
    known, the recent average wait, scaled by place in line (60 s a caller with nothing).
    """
    ahead = max(1, position)
    if figures.specialists and figures.handle_time:
        return math.ceil(ahead * figures.handle_time / figures.specialists)
    per_caller = figures.average_wait / max(1, figures.waiting) if figures.average_wait else 60.0
    return math.ceil(per_caller * ahead)


def expected_wait_for_new_caller(figures: Figures) -> float:
    """What a caller joining now would be told: they would be last in line."""
    return estimate_wait(figures, figures.waiting + figures.callbacks + 1)


NO_FIGURES = Figures(waiting=0, longest_wait=0.0, average_wait=0.0, specialists=0)
