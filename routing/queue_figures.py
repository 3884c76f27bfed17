"""Live queue figures per provider, kept in the shared store so every worker sees the same.

Fed by the IVR's enqueue, hold, connect and status webhooks and by the specialists' calls;
read by routing (live conditions) and by the hold message (position, expected wait).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from config.shared_store import SharedStore

RECENT_WAITS = 50  # answered waits (and talk times) kept per provider for the averages
# A caller still listed after this long is a ghost (their end was never heard: the store was
# away when the status callback came): dropped when the figures are read. Twilio's own
# queue limit for a wait is far below it.
GHOST_AFTER_SECONDS = 2 * 3600
GONE_TTL = 3600


@dataclass(frozen=True)
class Figures:
    waiting: int
    longest_wait: float
    average_wait: float
    specialists: int
    handle_time: float = 0.0  # the recent average talk time, seconds (0: not known yet)


class QueueFigures:
    def __init__(self, store: SharedStore) -> None:
        self.store = store

    def caller_enqueued(self, provider: str, call_sid: str, at: float) -> None:
        self.store.zadd(f"q:{provider}:waiting", call_sid, at)

    def call_ended(self, call_sid: str, provider: str | None) -> None:
        """The status callback: mark the call gone (an enqueue that finishes after this
        callback takes itself out again). Talk times come from `talk_ended`: the status
        callback follows the survey, so it cannot tell how long the specialist talked."""
        self.store.set_json(f"gone:{call_sid}", 1, ttl=GONE_TTL)
        if provider:
            self.store.zrem(f"q:{provider}:waiting", call_sid)

    def talk_ended(self, provider: str, talk_seconds: float) -> None:
        """A bridge ended (the specialist's Dial action): feed the average talk time."""
        if talk_seconds > 0:
            self.store.rpush(f"q:{provider}:talks", round(talk_seconds, 1), maxlen=RECENT_WAITS)

    def forget_if_gone(self, provider: str, call_sid: str) -> None:
        """After an enqueue: a caller whose call already ended is not left waiting for ever."""
        if self.store.get_json(f"gone:{call_sid}"):
            self.store.zrem(f"q:{provider}:waiting", call_sid)

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
        self.store.zremrangebyscore(f"q:{provider}:waiting", 0, now - GHOST_AFTER_SECONDS)
        self.store.zremrangebyscore(f"q:{provider}:agents", 0, now - 12 * 3600)
        waiting = self.store.zrange(f"q:{provider}:waiting")
        waits = self.store.lrange(f"q:{provider}:waits")
        talks = self.store.lrange(f"q:{provider}:talks")
        return Figures(
            waiting=len(waiting),
            longest_wait=max(0.0, now - waiting[0][1]) if waiting else 0.0,
            average_wait=sum(waits) / len(waits) if waits else 0.0,
            specialists=self.store.zcard(f"q:{provider}:agents"),
            handle_time=sum(talks) / len(talks) if talks else 0.0,
        )

    def expected_wait(self, provider: str, position: int, now: float) -> float:
        """Seconds until answered: the recent average wait, scaled by place in line."""
        return estimate_wait(self.snapshot(provider, now), position)


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
    return estimate_wait(figures, figures.waiting + 1)


NO_FIGURES = Figures(waiting=0, longest_wait=0.0, average_wait=0.0, specialists=0)
