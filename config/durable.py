"""Writes that must not be lost (call records, survey answers): to the database, or the journal.

`DurableWriter.write(kind, payload)` applies the write at once in its own short transaction
on the webhooks' engine (tight timeouts) while the database answers (a kind whose write is one
statement, `register(alone=True)`, as that statement alone: autocommit on PostgreSQL). When it does not (or
its breaker is open, or older entries still wait) the write goes to the local journal,
and a background thread replays the journal in order as soon as the database is back.
Every applier is idempotent (an upsert or an insert-if-absent keyed by CallSid), so an
entry replayed twice, or replayed after a write that only seemed to fail, changes nothing.

Inside a webhook the database gets only what is left of the webhook's budget
(`config.deadline`; the engine's pool, read and connect waits are cut to it): a write that
cannot finish in time goes to the journal while there is still time to answer, and that
is not counted as the database failing (its breaker stays closed). `keep()` journals at
once, for a fallback that must not wait on the database at all.

The replay writes many entries per transaction (`REPLAY_BATCH`, in journal order): one
commit, and one journal delete, per batch instead of per entry. A batch the database
refuses (one bad entry, not an outage) is replayed again entry by entry, so only that
entry is set aside.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import has_app_context
from prometheus_client import Counter, Gauge
from sqlalchemy import exc
from sqlalchemy.orm import Session, sessionmaker

from config import deadline
from config.breaker import Breaker
from config.database import DEADLINE_RESERVE, DeadlineReached, commit
from config.journal import Journal

log = logging.getLogger(__name__)

Applier = Callable[[Session, dict[str, Any]], None]
APPLIERS: dict[str, Applier] = {}
ALONE: set[str] = set()  # kinds whose applier writes one statement (`register(alone=True)`)

JOURNALED = Counter("helpline_journaled_writes_total", "Writes kept in the local journal", ["kind"])
REPLAYED = Counter("helpline_replayed_writes_total", "Journal entries written to the database")
PENDING = Gauge("helpline_journal_pending", "Journal entries waiting for the database",
                multiprocess_mode="livesum")

REPLAY_BATCH = 200
# A webhook with less than this left writes to the journal without trying the database
# (which would get a tenth of a second after the reserve kept for answering).
MIN_DB_SECONDS = DEADLINE_RESERVE + 0.1

# What the database being away looks like, as opposed to a write it refuses.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    exc.OperationalError, exc.InterfaceError, exc.TimeoutError, exc.DisconnectionError)


def register(kind: str, alone: bool = False) -> Callable[[Applier], Applier]:
    """Declare how a kind of write is applied (the same function on first try and replay).

    `alone`: the applier's whole write is one statement (an upsert, an insert-if-absent),
    so written at once it needs no transaction of its own: on PostgreSQL it runs in
    autocommit, one round trip instead of three (BEGIN, the statement, COMMIT). A replayed
    batch still runs in one transaction. `tests/test_durable_alone.py` holds each such
    applier to one statement."""

    def decorate(fn: Applier) -> Applier:
        APPLIERS[kind] = fn
        if alone:
            ALONE.add(kind)
        return fn

    return decorate


def is_unavailable(err: BaseException) -> bool:
    return isinstance(err, UNAVAILABLE) or bool(getattr(err, "connection_invalidated", False))


def without_nul(value: Any) -> Any:
    """`value` with NUL taken out of every string in it (a request can carry one anywhere:
    a form field, a URL's query; a write holding one would fail, and be replayed, for ever)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(without_nul(v) for v in value)
    return value


class DurableWriter:
    def __init__(self, makesession: sessionmaker[Session], journal: Journal, breaker: Breaker,
                 retry_seconds: float = 0.5,
                 context: Callable[[], AbstractContextManager[Any]] = nullcontext,
                 single: sessionmaker[Session] | None = None) -> None:
        self.makesession = makesession
        self.single = single or makesession  # for one `alone` write (`config.database.single_statement`)
        self.context = context  # the app's context, for appliers replayed on the drain thread
        self.journal = journal
        self.breaker = breaker
        self.retry_seconds = retry_seconds
        self._backlog = journal.count() > 0
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._wake = threading.Event()
        self._stopped = False
        if self._backlog:
            self._ensure_drainer()

    def write(self, kind: str, payload: dict[str, Any]) -> None:
        if kind not in APPLIERS:
            raise KeyError(f"no applier for {kind!r}")
        payload = without_nul(payload)  # PostgreSQL's text refuses NUL: never appliable
        if not self._backlog and self.breaker.allow() and not _out_of_time():
            try:
                self._apply(kind, payload)
                return
            except Exception as err:
                if not is_unavailable(err):
                    raise
                if not (_cut_short(err) or _out_of_time()):
                    self.breaker.failed(err)
        self.keep(kind, payload)

    def keep(self, kind: str, payload: dict[str, Any]) -> None:
        """Straight to the journal (replayed by the drain thread as soon as it can)."""
        if kind not in APPLIERS:
            raise KeyError(f"no applier for {kind!r}")
        self.journal.append(kind, without_nul(payload))
        JOURNALED.labels(kind).inc()
        PENDING.inc()
        self._backlog = True
        self._ensure_drainer()

    def _apply(self, kind: str, payload: dict[str, Any]) -> None:
        """One unit of work: the applier's changes committed, then what they owe delivered."""
        self._apply_many([(kind, payload)], self.single if kind in ALONE else self.makesession)

    def _apply_many(self, entries: list[tuple[str, dict[str, Any]]],
                    makesession: sessionmaker[Session] | None = None) -> None:
        """Several writes in one transaction, in order: all committed, or none."""
        makesession = makesession or self.makesession
        with nullcontext() if has_app_context() else self.context(), makesession() as db:
            for kind, payload in entries:
                APPLIERS[kind](db, payload)
            commit(db)
        if self.breaker.is_open:
            self.breaker.succeeded()

    def drain(self, batch: int = REPLAY_BATCH) -> int:
        """Replay the journal in order, `batch` entries per transaction; stop at the first
        sign the database is away again.

        One worker drains at a time (a lock file beside the journal): two would only
        repeat each other's idempotent writes. Answers how many entries were written.
        """
        lock_path = self.journal.path.with_suffix(".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0
            written = 0
            while entries := self.journal.pending(limit=batch):
                done = self._replay(entries)
                if done is None:
                    return written
                written += done
            if written:
                log.warning("journal replayed: %d writes reached the database", written)
            self._backlog = self.journal.count() > 0
            return written

    def _replay(self, entries: list[tuple[int, str, dict[str, Any]]]) -> int | None:
        """One batch in one transaction; a refused batch again one by one. None when the
        database is away (the entries stay in the journal)."""
        try:
            self._apply_many([(kind, payload) for _, kind, payload in entries])
        except Exception as err:
            if is_unavailable(err):
                self.breaker.failed(err)
                return None
            if len(entries) == 1:
                entry_id, kind, _ = entries[0]
                log.exception("journal entry %s (%s) refused; set aside", entry_id, kind)
                self.journal.set_aside(entry_id)
                return 0
            done = 0
            for entry in entries:
                one = self._replay([entry])
                if one is None:
                    return None
                done += one
            return done
        self.journal.remove_many([entry_id for entry_id, _, _ in entries])
        REPLAYED.inc(len(entries))
        PENDING.dec(len(entries))
        return len(entries)

    def _ensure_drainer(self) -> None:
        if self._pid != os.getpid():  # forked: the parent's thread did not come along
            self._pid, self._thread = os.getpid(), None
        if self._thread is not None and self._thread.is_alive():
            self._wake.set()
            return
        self._thread = threading.Thread(target=self._drain_loop, name="journal-drain", daemon=True)
        self._thread.start()

    def _drain_loop(self) -> None:
        while not self._stopped:
            if self.breaker.allow():
                try:
                    self.drain()
                except Exception:
                    log.exception("journal drain failed")
            if not self._backlog:
                return
            self._wake.wait(self.retry_seconds)
            self._wake.clear()

    def wait_drained(self, timeout: float) -> bool:
        """For tests and shutdown: True once the journal is empty."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.journal.count() == 0:
                self._backlog = False
                return True
            self._ensure_drainer()
            time.sleep(0.05)
        return self.journal.count() == 0

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()


def _out_of_time() -> bool:
    """Inside a webhook with (almost) nothing left of its budget: also what a wait cut at
    the deadline leaves (the pool's wait ends `DEADLINE_RESERVE` before it)."""
    return deadline.remaining(MIN_DB_SECONDS + 1) < MIN_DB_SECONDS


def _cut_short(err: BaseException) -> bool:
    """The write failed because the webhook's deadline cut its wait, not the database."""
    seen: BaseException | None = err
    for _ in range(4):  # SQLAlchemy's wrapper, then psycopg's error, then its cause
        if seen is None:
            return False
        if isinstance(seen, DeadlineReached):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False
