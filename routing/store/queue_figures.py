"""Live queue figures per provider, kept in the shared store so every worker sees the same.

Fed by the IVR's enqueue, hold, connect and status webhooks and by the specialists' calls;
read by routing (live conditions) and by the hold message (position, expected wait).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from config.shared_store import Read, SharedStore
from routing.engine.figures import Figures, estimate_wait

RECENT_WAITS = 50  # answered waits (and talk times) kept per provider for the averages
# A caller still listed after this long is a ghost (their end was never heard: the store was
# away when the status callback came): dropped when the figures are read. Twilio's own
# queue limit for a wait is far below it.
GHOST_AFTER_SECONDS = 2 * 3600
GONE_TTL = 3600


FIGURE_READS = 8  # the store reads of one provider's figures (`_figure_reads`)


def _figure_reads(provider: str, now: float) -> list[Read]:
    """Ghosts and stale entries dropped, then what the figures are made of."""
    waiting, agents, callbacks = (f"q:{provider}:waiting", f"q:{provider}:agents",
                                  f"q:{provider}:callbacks")
    return [("zremrangebyscore", (waiting, 0, now - GHOST_AFTER_SECONDS)),
            ("zremrangebyscore", (agents, 0, now - 12 * 3600)),
            ("zremrangebyscore", (callbacks, 0, now - 12 * 3600)),
            ("zrange", (waiting,)), ("lrange", (f"q:{provider}:waits",)),
            ("lrange", (f"q:{provider}:talks",)), ("zcard", (agents,)), ("zrange", (callbacks,))]


def _figures(now: float, replies: list[Any]) -> tuple[Figures, list[tuple[str, float]]]:
    """The figures from `_figure_reads`'s replies, and the callbacks owed (member, joined)."""
    _, _, _, waiting, waits, talks, specialists, owed = replies
    return Figures(
        waiting=len(waiting),
        longest_wait=max(0.0, now - waiting[0][1]) if waiting else 0.0,
        average_wait=sum(waits) / len(waits) if waits else 0.0,
        specialists=specialists,
        handle_time=sum(talks) / len(talks) if talks else 0.0,
        callbacks=len(owed),
    ), owed


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

    def head(self, provider: str) -> tuple[str, float] | None:
        """The caller at the head of the queue and when they joined it (epoch seconds)."""
        head = self.store.zrange(f"q:{provider}:waiting", 0, 0)
        return head[0] if head else None

    def next_caller(self, provider: str) -> str | None:
        head = self.store.zrange(f"q:{provider}:waiting", 0, 0)
        return head[0][0] if head else None

    def claim_next(self, provider: str, tries: int = 5) -> tuple[str, float] | None:
        """Take the caller at the head of the queue for one specialist: whoever removes the
        entry has them (ZREM answers for one remover only), so two specialists dialling in
        at once never get the same caller; the loser tries the next head."""
        key = f"q:{provider}:waiting"
        for _ in range(tries):
            head = self.store.zrange(key, 0, 0)
            if not head:
                return None
            if self.store.zrem(key, head[0][0]):
                return head[0]
        return None

    def relist(self, provider: str, call_sid: str, joined_at: float) -> None:
        """Put a claimed caller back at their place in line (the claim could not be kept)."""
        self.store.zadd(f"q:{provider}:waiting", call_sid, joined_at)

    def waiting_callers(self, provider: str) -> list[tuple[str, float]]:
        """Who waits in the provider's queue now: (CallSid, epoch joined), first in line first."""
        return self.store.zrange(f"q:{provider}:waiting")

    def callback_owed(self, provider: str, callback_id: int, joined_at: float) -> None:
        """A caller left the queue to be called back: still in line, at their first join."""
        self.store.zadd(f"q:{provider}:callbacks", str(callback_id), joined_at)

    def callback_done(self, provider: str, callback_id: int) -> None:
        self.store.zrem(f"q:{provider}:callbacks", str(callback_id))

    def callbacks_before(self, provider: str, joined_at: float | None) -> int:
        """Callbacks owed that joined before `joined_at`: they are served before that caller."""
        owed = self.store.zrange(f"q:{provider}:callbacks")
        return sum(1 for _, joined in owed if joined_at is None or joined < joined_at)

    def specialist_signed_in(self, provider: str, agent_call_sid: str, at: float) -> None:
        self.store.zadd(f"q:{provider}:agents", agent_call_sid, at)

    def specialist_signed_out(self, provider: str, agent_call_sid: str) -> None:
        self.store.zrem(f"q:{provider}:agents", agent_call_sid)

    def snapshot(self, provider: str, now: float) -> Figures:
        return self.hold_view(provider, now)[2]

    def snapshots(self, providers: Iterable[str], now: float) -> dict[str, Figures]:
        """Every provider's figures in one round trip (the routing decision reads them all)."""
        wanted = sorted(providers)
        replies = self.store.many([read for pid in wanted for read in _figure_reads(pid, now)])
        return {pid: _figures(now, replies[i * FIGURE_READS:(i + 1) * FIGURE_READS])[0]
                for i, pid in enumerate(wanted)}

    def hold_view(self, provider: str, now: float, call_sid: str | None = None,
                  joined_at: float | None = None) -> tuple[int | None, int, Figures]:
        """What the hold message says, in one round trip: the caller's place in line (when
        `call_sid` is given), the callbacks owed ahead of them (`callbacks_before`), and the
        provider's figures (ghosts and stale entries dropped first)."""
        reads = _figure_reads(provider, now)
        if call_sid is not None:
            reads.append(("zrank", (f"q:{provider}:waiting", call_sid)))
        replies = self.store.many(reads)
        figures, owed = _figures(now, replies[:FIGURE_READS])
        rank = replies[FIGURE_READS] if call_sid is not None else None
        ahead = sum(1 for _, joined in owed if joined_at is None or joined < joined_at)
        return None if rank is None else rank + 1, ahead, figures

    def expected_wait(self, provider: str, position: int, now: float) -> float:
        """Seconds until answered: the recent average wait, scaled by place in line."""
        return estimate_wait(self.snapshot(provider, now), position)
