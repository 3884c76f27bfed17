"""Live queue figures per provider, kept in the shared store so every worker sees the same.

Fed by the IVR's enqueue, hold, connect and status webhooks and by the specialists' calls;
read by routing (live conditions) and by the hold message (position, expected wait).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from config.shared_store import SharedStore

RECENT_WAITS = 50  # answered waits kept per provider for the average


@dataclass(frozen=True)
class Figures:
    waiting: int
    longest_wait: float
    average_wait: float
    specialists: int


class QueueFigures:
    def __init__(self, store: SharedStore) -> None:
        self.store = store

    def caller_enqueued(self, provider: str, call_sid: str, at: float) -> None:
        self.store.zadd(f"q:{provider}:waiting", call_sid, at)

    def caller_left(self, provider: str, call_sid: str, waited: float | None = None) -> None:
        """Remove the caller; `waited` is given when a specialist answered (feeds the average)."""
        self.store.zrem(f"q:{provider}:waiting", call_sid)
        if waited is not None:
            self.store.rpush(f"q:{provider}:waits", round(waited, 1), maxlen=RECENT_WAITS)

    def position(self, provider: str, call_sid: str) -> int | None:
        rank = self.store.zrank(f"q:{provider}:waiting", call_sid)
        return None if rank is None else rank + 1

    def next_caller(self, provider: str) -> str | None:
        head = self.store.zrange(f"q:{provider}:waiting", 0, 0)
        return head[0][0] if head else None

    def specialist_signed_in(self, provider: str, agent_call_sid: str, at: float) -> None:
        self.store.zadd(f"q:{provider}:agents", agent_call_sid, at)

    def specialist_signed_out(self, provider: str, agent_call_sid: str) -> None:
        self.store.zrem(f"q:{provider}:agents", agent_call_sid)

    def snapshot(self, provider: str, now: float) -> Figures:
        waiting = self.store.zrange(f"q:{provider}:waiting")
        waits = self.store.lrange(f"q:{provider}:waits")
        return Figures(
            waiting=len(waiting),
            longest_wait=max(0.0, now - waiting[0][1]) if waiting else 0.0,
            average_wait=sum(waits) / len(waits) if waits else 0.0,
            specialists=self.store.zcard(f"q:{provider}:agents"),
        )

    def expected_wait(self, provider: str, position: int, now: float) -> float:
        """Seconds until answered: the recent average wait, scaled by place in line."""
        return estimate_wait(self.snapshot(provider, now), position)


def estimate_wait(figures: Figures, position: int) -> float:
    """The hold message's estimate, as a pure function so routing rules can use it too."""
    per_caller = figures.average_wait / max(1, figures.waiting) if figures.average_wait else 60.0
    return math.ceil(per_caller * max(1, position))


def expected_wait_for_new_caller(figures: Figures) -> float:
    """What a caller joining now would be told: they would be last in line."""
    return estimate_wait(figures, figures.waiting + 1)


NO_FIGURES = Figures(waiting=0, longest_wait=0.0, average_wait=0.0, specialists=0)
