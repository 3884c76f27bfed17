"""The outbox: what a unit of work owes other systems, stored in the same transaction.

Domain code that needs an effect elsewhere (an rq job scheduled, for now) does not cause it
inside its transaction: a failed enqueue would roll back what the caller said, and an
enqueue for a transaction that then rolls back would schedule a job for a row that does
not exist. It calls `owe(db, kind, payload, at)` instead, which adds an `outbox` row to the
same transaction. The boundary's `config.database.commit` commits, then hands the new rows
to `Outbox.deliver`, which runs each kind's handler at once. A row whose handler fails
(Redis down, paused, refusing) stays owed, and `Outbox.sweep` delivers it later: the rq
worker runs it every `SWEEP_SECONDS`, and cron can run `flask outbox sweep`.

Delivery claims a row with a short lease (an UPDATE, committed) before running its handler
and marks it delivered after, so no lock is held across the network call and two
deliverers (the boundary and a sweep) do not both run it; a process that dies mid-way
leaves a lease that runs out. A row can still be delivered twice (a process dying between
the effect and the mark), so handlers are idempotent: the rq handlers name the job after
what it does, and enqueueing a job id again replaces the job.

Kinds declared `background=True` call another service over the network (Twilio's REST API):
the commit hands them to the outbox's own thread (`deliver_soon`) instead of running them on
the request's, so a slow or unreachable Twilio never holds up a webhook's answer.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import Flask
from prometheus_client import Counter
from sqlalchemy import Integer, String, Text, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.database import OWED, Base, UTCDateTime
from config.journal import dumps, loads

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]  # delivers the payload, or raises
HANDLERS: dict[str, Handler] = {}
BACKGROUND: set[str] = set()  # kinds delivered off the request's thread (`deliver_soon`)

LEASE = timedelta(seconds=60)  # a deliverer that has not finished by then is presumed dead
KEEP_DELIVERED = timedelta(days=7)  # delivered rows are kept this long, for inspection
SWEEP_SECONDS = 30.0

DELIVERED = Counter("helpline_outbox_delivered_total", "Outbox rows delivered", ["kind"])
FAILED = Counter("helpline_outbox_failed_total", "Outbox deliveries that failed (retried)",
                 ["kind"])


class OutboxEntry(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # JSON (datetimes kept, as in the journal)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))


def handler(kind: str, background: bool = False) -> Callable[[Handler], Handler]:
    """Declare how a kind of effect is delivered (the same function now and on a sweep);
    `background`: after the commit on the outbox's thread, not the request's."""

    def decorate(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if background:
            BACKGROUND.add(kind)
        return fn

    return decorate


def owe(db: Session, kind: str, payload: dict[str, Any], at: datetime) -> OutboxEntry:
    """Record an effect owed once this transaction commits; the boundary delivers it."""
    if kind not in HANDLERS:
        raise KeyError(f"no outbox handler for {kind!r}")
    entry = OutboxEntry(kind=kind, payload=dumps(payload), created_at=at.astimezone(UTC),
                        attempts=0)
    db.add(entry)
    db.info.setdefault(OWED, []).append(entry)
    return entry


class Outbox:
    """The app's deliverer: runs handlers inside the app's context, with the app's clock."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._stop = threading.Event()
        self._pool: tuple[int, ThreadPoolExecutor] | None = None
        self._pending = 0
        self._idle = threading.Condition()

    def after_commit(self, owed: Sequence[tuple[int, str]],
                     bind: Engine | Connection | None = None) -> None:
        """The rows a commit owes, by (id, kind): background kinds to `deliver_soon`, the
        rest at once on this thread."""
        now = [entry_id for entry_id, kind in owed if kind not in BACKGROUND]
        later = [entry_id for entry_id, kind in owed if kind in BACKGROUND]
        if now:
            self.deliver(now, bind=bind)
        if later:
            self.deliver_soon(later)

    def _executor(self) -> ThreadPoolExecutor:
        """The outbox's threads: made after a fork, never inherited."""
        if self._pool is None or self._pool[0] != os.getpid():
            self._pool = (os.getpid(), ThreadPoolExecutor(max_workers=2,
                                                          thread_name_prefix="outbox"))
        return self._pool[1]

    def deliver_soon(self, ids: Sequence[int]) -> None:
        """Deliver these rows on the outbox's thread; what fails there stays owed for the
        sweep, as with `deliver`."""
        self._submit(partial(self.deliver, list(ids)))

    def nudge(self, effect: Callable[[], None]) -> None:
        """An effect worth one try soon that needs no row, so no database (a wake: the
        idle looks are its backstop): on the outbox's thread, in the app's context,
        counted for `settle`, never retried."""
        self._submit(partial(self._nudged, effect))

    def _nudged(self, effect: Callable[[], None]) -> None:
        try:
            with self.app.app_context():
                effect()
        except Exception as err:  # the other system failed: the backstop will do it
            log.warning("outbox nudge %s not done: %s: %s", getattr(effect, "__name__", effect),
                        type(err).__name__, err)

    def _submit(self, work: Callable[[], object]) -> None:
        with self._idle:
            self._pending += 1
        self._executor().submit(self._counted, work)

    def _counted(self, work: Callable[[], object]) -> None:
        try:
            work()
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until what `deliver_soon` was handed is done (the simulator: Twilio receives
        a REST request the app sent right after answering before the next webhook)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def now(self) -> datetime:
        return self.app.extensions["clock"]()  # type: ignore[no-any-return]

    def deliver(self, ids: Sequence[int], bind: Engine | Connection | None = None,
                stop_on_failure: bool = False) -> int:
        """Deliver these rows (those still owed and not claimed); how many were delivered.

        Two short transactions whatever the number of rows (claim them, then mark them), and
        it never raises: a row it could not claim, deliver or mark stays owed for the sweep.
        """
        engine = bind if bind is not None else self.app.extensions["db_engine"]
        try:
            claimed = self._claim(engine, ids)
        except Exception as err:  # the database went away after the commit: the sweep will
            log.warning("outbox: could not claim %d row(s): %s", len(ids), type(err).__name__)
            return 0
        done: list[int] = []
        failed: dict[int, str] = {}
        for entry_id, kind, payload in claimed:
            if failed and stop_on_failure:
                failed[entry_id] = ""  # not tried: released for the next sweep
                continue
            try:
                with self.app.app_context():
                    HANDLERS[kind](payload)
            except Exception as err:  # the other system failed: keep the row for the sweep
                log.warning("outbox %s (%s) not delivered: %s: %s", entry_id, kind,
                            type(err).__name__, err)
                FAILED.labels(kind).inc()
                failed[entry_id] = f"{type(err).__name__}: {err}"[:200]
                continue
            DELIVERED.labels(kind).inc()
            done.append(entry_id)
        self._finish(engine, done, failed)
        return len(done)

    def _claim(self, bind: Engine | Connection,
               ids: Sequence[int]) -> list[tuple[int, str, dict[str, Any]]]:
        """Take a lease on the rows still owed and free; theirs (id, kind, payload), in order."""
        if not ids:
            return []
        at = self.now().astimezone(UTC)
        with Session(bind) as db:
            rows = db.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(list(ids)), OutboxEntry.delivered_at.is_(None),
                       or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until <= at))
                .values(claimed_until=at + LEASE, attempts=OutboxEntry.attempts + 1)
                .returning(OutboxEntry.id, OutboxEntry.kind, OutboxEntry.payload)
                .execution_options(synchronize_session=False)).all()
            db.commit()
        claimed = []
        for entry_id, kind, raw in sorted(rows):
            if kind in HANDLERS:
                claimed.append((int(entry_id), str(kind), loads(raw)))
            else:
                log.error("outbox %s: no handler for %r; left owed", entry_id, kind)
        return claimed

    def _finish(self, bind: Engine | Connection, done: list[int],
                failed: dict[int, str]) -> None:
        """Mark the delivered rows, and release the others with what went wrong."""
        if not done and not failed:
            return
        try:
            with Session(bind) as db:
                if done:
                    db.execute(update(OutboxEntry).where(OutboxEntry.id.in_(done))
                               .values(delivered_at=self.now().astimezone(UTC),
                                       claimed_until=None, last_error=None)
                               .execution_options(synchronize_session=False))
                for entry_id, error in failed.items():
                    values: dict[str, Any] = {"claimed_until": None}
                    if error:
                        values["last_error"] = error
                    db.execute(update(OutboxEntry).where(OutboxEntry.id == entry_id)
                               .values(values).execution_options(synchronize_session=False))
                db.commit()
        except Exception:  # the leases run out and a sweep delivers again (idempotent)
            log.exception("outbox: could not record %d delivery(ies)", len(done) + len(failed))

    def sweep(self, limit: int = 500) -> int:
        """Deliver the rows still owed, oldest first, stopping at the first failure (the other
        system is still away); forget rows delivered long ago. Answers how many it delivered."""
        at = self.now().astimezone(UTC)
        with Session(self.app.extensions["db_engine"]) as db:
            ids = list(db.scalars(
                select(OutboxEntry.id)
                .where(OutboxEntry.delivered_at.is_(None),
                       or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until <= at))
                .order_by(OutboxEntry.id).limit(limit)))
            db.execute(delete(OutboxEntry).where(OutboxEntry.delivered_at < at - KEEP_DELIVERED))
            db.commit()
        return self.deliver(ids, stop_on_failure=True)

    def owed(self) -> int:
        """Rows not yet delivered (for the CLI and /readyz-style checks)."""
        with Session(self.app.extensions["db_engine"]) as db:
            return int(db.scalar(select(func.count()).select_from(OutboxEntry)
                                 .where(OutboxEntry.delivered_at.is_(None))) or 0)

    def start_sweeper(self, every: float = SWEEP_SECONDS) -> threading.Thread:
        """Sweep every `every` seconds on a daemon thread (the rq worker runs one)."""

        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    self.sweep()
                except Exception:  # the database is away: try again next round
                    log.exception("outbox sweep failed")

        thread = threading.Thread(target=loop, name="outbox-sweeper", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
