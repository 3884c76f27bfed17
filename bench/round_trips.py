"""Counting round trips to the database and to Redis, for the benches (never on in production).

A webhook's cost is mostly its waits on PostgreSQL and Redis and the work around each, so the
benches print how many of each a webhook makes (`bench/webhooks.py`, per endpoint). `install`
hooks psycopg's exchanges with PostgreSQL (each statement, BEGIN, COMMIT, ROLLBACK and
pre-ping that reaches the server is one round trip: psycopg sends a transaction's BEGIN on
its own before the first statement; a statement in autocommit is one; on SQLite every
statement, begin, commit and rollback the engine makes is counted instead)
and redis-py's connections (one packed send is one round trip: a pipeline or MULTI/EXEC
counts once, as it crosses the network once). The counts are process-wide: a bench that
sends one request at a time reads them before and after each request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import redis.connection
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class RoundTrips:
    """Running totals since `install`."""

    db: int = 0
    redis: int = 0

    def snapshot(self) -> tuple[int, int]:
        return self.db, self.redis


COUNTS = RoundTrips()
_lock = threading.Lock()
_engines: set[int] = set()


def _db(*_args: Any, **_kwargs: Any) -> None:
    COUNTS.db += 1  # one bench client at a time: a lost increment under threads is noise


def _count_engine(engine: Engine) -> None:
    if id(engine) in _engines:
        return
    _engines.add(id(engine))
    if engine.dialect.name == "postgresql":
        _count_psycopg()  # what crosses the network, not what SQLAlchemy asks for
        return
    event.listen(engine, "before_cursor_execute", _db)
    event.listen(engine, "begin", _db)
    event.listen(engine, "commit", _db)
    event.listen(engine, "rollback", _db)
    if engine.pool._pre_ping:  # SQLAlchemy's own SELECT 1 at checkout, not a cursor event
        event.listen(engine.pool, "checkout", _db)


def _count_psycopg() -> None:
    """Each request psycopg sends PostgreSQL and waits on: a statement, a prepare and a
    prepared statement's execution, and BEGIN, COMMIT or ROLLBACK (psycopg sends a
    transaction's BEGIN on its own before the first statement; a COMMIT or ROLLBACK with no
    transaction open, as in autocommit, sends nothing and is not counted). Opening a
    connection is not counted (the pools keep theirs)."""
    from psycopg._connection_base import BaseConnection
    from psycopg._cursor_base import BaseCursor

    if getattr(BaseConnection, "_round_trips_counted", False):
        return
    for cls, name in ((BaseConnection, "_exec_command"), (BaseCursor, "_execute_send"),
                      (BaseCursor, "_send_prepare"), (BaseCursor, "_send_query_prepared")):
        setattr(cls, name, _counting(getattr(cls, name)))
    BaseConnection._round_trips_counted = True  # type: ignore[attr-defined]


def _counting(method: Any) -> Any:
    def counted(*args: Any, **kwargs: Any) -> Any:
        COUNTS.db += 1
        return method(*args, **kwargs)

    return counted


def _count_redis() -> None:
    cls = redis.connection.AbstractConnection
    if getattr(cls, "_round_trips_counted", False):
        return
    send = cls.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> Any:
        COUNTS.redis += 1
        return send(self, command, check_health)

    cls.send_packed_command = counted  # type: ignore[method-assign]
    cls._round_trips_counted = True  # type: ignore[attr-defined]


def install(app: Flask) -> RoundTrips:
    """Count this app's database and Redis round trips from now on; returns the totals."""
    with _lock:
        for name in ("db_engine", "webhook_db_engine"):
            engine = app.extensions.get(name)
            if engine is not None:
                _count_engine(engine)
        _count_redis()
    return COUNTS
