"""The SQLAlchemy engine, the declarative base, the request-scoped session, the unit of work.

Models in every area derive from `Base`; views get their session from `db_session()`,
which lives for one request and is closed when the request ends. `commit(db)` ends a unit
of work: boundaries call it once (views directly, webhooks through their decorator, CLI
commands and jobs through `session_scope`); domain code never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool
from sqlalchemy.types import TypeDecorator

from config import deadline
from config.breaker import Breaker

log = logging.getLogger(__name__)

# Session.info keys: the outbox rows this transaction added, and the app's deliverer.
OWED = "outbox_owed"
DELIVERER = "outbox"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC on every database.

    SQLite keeps no time zone, so a Toronto wall-clock time would come back as if it were
    UTC; converting on the way in and tagging UTC on the way out makes both databases agree.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC or a zone)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _tune_sqlite(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets readers and the writer overlap; NORMAL sync is durable across app crashes;
    secure_delete overwrites deleted and updated content, so an erased number does not linger
    in free pages or the WAL."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


@dataclass(frozen=True)
class Waits:
    """How long one engine waits on PostgreSQL, at most, for each step of a query."""

    connect: int = 2  # seconds to open a connection (libpq's minimum is 2)
    read: float = 30.0  # seconds for the server to answer, enforced by the client
    pool: float = 2.0  # seconds to get a connection from a full pool
    pre_ping: bool = True


# The staff pages, reports and jobs: generous, yet bounded. A webhook's own engine is tighter.
DEFAULT_WAITS = Waits()


# Inside a webhook, every wait on PostgreSQL ends this long before the webhook's deadline:
# time left to journal the write instead and to answer.
DEADLINE_RESERVE = 0.2


class DeadlineReached(psycopg.OperationalError):
    """A wait cut short by the webhook's deadline (`config.deadline`), not by the database:
    it does not open the breaker, and the durable writer journals the write."""


def _left(limit: float) -> float:
    """`limit`, or less inside a webhook: what its deadline leaves, minus the reserve."""
    return deadline.remaining(limit + DEADLINE_RESERVE) - DEADLINE_RESERVE


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that gives up on a server that stops answering.

    `statement_timeout` is enforced by the server, so a server that accepts and then says
    nothing (hung, or behind a broken network path) would hold the thread for ever; libpq
    has no read timeout. psycopg's wait loop takes one: each wait is bounded by
    `read_timeout`, or by what the current webhook's deadline leaves when that is sooner,
    after which the connection is closed (it is mid-protocol, unusable) and an
    OperationalError raised (`DeadlineReached` when the deadline cut it), which SQLAlchemy
    treats as a disconnect.
    """

    read_timeout: float = 30.0

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        limit = self.read_timeout if timeout is None else timeout
        left = _left(limit)
        try:
            return super().wait(gen, interval=interval, timeout=max(0.001, left))
        except psycopg.errors.OperationalError as err:
            if "timeout" in type(err).__name__.lower() or type(err).__name__ == "_WaitTimeout":
                self.pgconn.finish()
                if left < limit:
                    raise DeadlineReached("the webhook's deadline came first") from err
                raise psycopg.OperationalError(
                    f"server did not answer within {self.read_timeout:g} s") from err
            raise


class DeadlinePool(QueuePool):
    """A pool whose wait for a free connection ends at the current webhook's deadline
    (SQLAlchemy reads `_timeout` at each checkout)."""

    @property  # type: ignore[override]
    def _timeout(self) -> float:
        return max(0.0, _left(self._configured_timeout))

    @_timeout.setter
    def _timeout(self, value: float) -> None:
        self._configured_timeout = value


class DatabaseDown(psycopg.OperationalError):
    """Raised at once, without trying, while the database's breaker is open."""


def _bounded_class(read_timeout: float) -> type[BoundedConnection]:
    return type("BoundedConnection", (BoundedConnection,), {"read_timeout": read_timeout})


def make_engine(url: str, waits: Waits = DEFAULT_WAITS, breaker: Breaker | None = None,
                pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    statement_ms = max(1, round(waits.read * 1000))
    engine = create_engine(
        url, poolclass=DeadlinePool, pool_pre_ping=waits.pre_ping, pool_size=pool_size,
        max_overflow=2 * pool_size,
        pool_timeout=waits.pool, pool_recycle=1800,
        connect_args={"connect_timeout": waits.connect,
                      "options": f"-c statement_timeout={statement_ms}"})
    if url.startswith(("postgresql:", "postgresql+psycopg:")):
        _bound_reads(engine, waits.read, waits.connect)
    if breaker is not None:
        guard_engine(engine, breaker)
    return engine


def admin_engine(url: str, lock_wait: float | None = None) -> Engine:
    """An engine for an admin's long job (`flask db upgrade`, the search tables' rebuild): no
    bound on a statement, neither the server's `statement_timeout` (set to 0, whatever the
    role or database default) nor the client's read timeout.

    Such a job is all or nothing in one transaction, and at a million services one of its
    statements takes minutes (migration 0015's postings fill, the rebuild's); the app's 30 s
    bound would cut it off and roll the whole job back, so a large directory could never
    be upgraded. `lock_wait` (seconds) still bounds its waits for a lock, so a migration
    stuck behind a long reader fails instead of queueing the app's queries behind it.
    One connection, not pooled (NullPool): the job holds it, then it is closed.
    """
    if url.startswith("sqlite"):
        return make_engine(url)
    options = "-c statement_timeout=0"
    if lock_wait is not None:
        options += f" -c lock_timeout={max(1, round(lock_wait * 1000))}"
    return create_engine(url, poolclass=NullPool, connect_args={"options": options})


def _bound_reads(engine: Engine, read_timeout: float, connect_timeout: float) -> None:
    """Open every connection as a BoundedConnection with this engine's read timeout.

    libpq's connect timeout cannot be under 2 s, so a webhook with less than the connect
    timeout left does not open a connection at all (`DeadlineReached`): its write goes to
    the journal now, and a request with more time (or the journal's replay) reconnects."""
    factory = _bounded_class(read_timeout)

    @event.listens_for(engine, "handle_error")
    def deadline_cut(ctx: Any) -> None:
        # Our own cut closes its connection, which SQLAlchemy takes for a disconnect and by
        # default re-opens the whole pool for: the server is fine, so keep the others.
        if isinstance(ctx.original_exception, DeadlineReached):
            ctx.invalidate_pool_on_disconnect = False

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        if _left(connect_timeout) < connect_timeout:
            raise DeadlineReached("no time left to open a connection before the deadline")
        return factory.connect(*cargs, **cparams)


def guard_engine(engine: Engine, breaker: Breaker) -> None:
    """Tie the engine to the database's breaker: failures open it, successes close it, and
    while it is open a checkout fails at once instead of waiting on a dead server."""

    @event.listens_for(engine, "handle_error")
    def failed(ctx: Any) -> None:
        if ctx.is_pre_ping or isinstance(ctx.original_exception, (DatabaseDown, DeadlineReached)):
            return  # a stale pooled connection (the pool reconnects), or our own refusal
        if ctx.is_disconnect or isinstance(ctx.original_exception, psycopg.OperationalError):
            breaker.failed(ctx.original_exception)

    @event.listens_for(engine.pool, "checkout")
    def checkout(*_args: Any) -> None:
        # Our own refusal, not a DisconnectionError: the pool would take that for a dead
        # connection and reconnect, and after three it raises InvalidRequestError "This
        # connection is closed", which no caller counts as the database being away (seen
        # as a fallback answered when the breaker opened mid-request). A DBAPI error is
        # wrapped as OperationalError, which every caller's degraded path knows.
        if not breaker.allow():
            raise DatabaseDown(f"{breaker.name} is down")

    @event.listens_for(engine, "do_connect", insert=True)
    def connecting(*_args: Any) -> None:
        if breaker.is_open and not breaker.allow():
            raise DatabaseDown(f"{breaker.name} is down")

    @event.listens_for(engine, "after_cursor_execute")
    def answered(*_args: Any) -> None:
        if breaker.is_open:
            breaker.succeeded()


def init_app(app: Flask, url: str, webhook_waits: Waits | None = None,
             waits: Waits = DEFAULT_WAITS) -> None:
    """The main engine, and (on PostgreSQL) a tighter one for what webhooks write and read."""
    from config.outbox import Outbox  # the outbox's table derives from Base, defined here

    breaker = app.extensions.setdefault("db_breaker", Breaker("database"))
    engine = make_engine(url, waits, breaker)
    outbox = app.extensions["outbox"] = Outbox(app)
    info = {DELIVERER: outbox}  # every session's commit() delivers through the app's outbox
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False, info=info)
    fast = engine if url.startswith("sqlite") or webhook_waits is None else (
        make_engine(url, webhook_waits, breaker, pool_size=5))
    app.extensions["webhook_db_engine"] = fast
    app.extensions["webhook_sessionmaker"] = sessionmaker(fast, expire_on_commit=False,
                                                          info=info)
    app.extensions["webhook_single_sessionmaker"] = sessionmaker(
        single_statement(fast), expire_on_commit=False, info=info)
    app.teardown_appcontext(_close_session)


def single_statement(engine: Engine) -> Engine:
    """The engine for work that is one statement: on PostgreSQL in autocommit, where the
    statement is its own transaction (one round trip, where psycopg sends BEGIN, the
    statement and COMMIT as three). Only for a unit of work that is a single statement
    (a durable write declared `alone`, the roster's reads): anything more would not be
    atomic. SQLite (no round trips) keeps its transactions."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def db_session() -> Session:
    """The session for this request (or app context), created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def commit(db: Session) -> None:
    """End a unit of work: commit, then deliver what it owes other systems.

    The one way a boundary (a view, the webhook decorator, `session_scope` for CLI commands
    and jobs, the durable writer) commits. Domain code only changes the session and records
    effects with `config.outbox.owe`; the rows it added go out here, after the commit, and
    whatever fails to go out stays owed for the outbox sweep.
    """
    owed: list[Any] = db.info.pop(OWED, [])
    db.commit()
    if owed:
        deliverer = db.info.get(DELIVERER)
        if deliverer is None:
            log.warning("%d outbox row(s) committed with no deliverer; the sweep delivers them",
                        len(owed))
            return
        deliverer.after_commit([(entry.id, entry.kind) for entry in owed], bind=db.get_bind())


@event.listens_for(Session, "after_rollback")
def _forget_owed(session: Session) -> None:
    """Rolled back: the outbox rows it added are gone, and so is what they owed."""
    session.info.pop(OWED, None)


def commit_if_used() -> None:
    """Commit the request's session if the request opened one (most webhooks never do)."""
    session = g.get("db_session")
    if session is not None:
        commit(session)


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A committed-or-rolled-back session outside a request (CLI commands, jobs)."""
    session: Session = app.extensions["db_sessionmaker"]()
    try:
        yield session
        commit(session)
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
