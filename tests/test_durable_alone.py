"""Durable writes declared `alone` (#16) are one statement each, and on PostgreSQL run in
autocommit: written at once they make one round trip, not BEGIN, the statement and COMMIT.
More than one statement there would not be atomic, so each such applier is held to one, on
the writes a whole call really makes."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from config.durable import ALONE, APPLIERS, DurableWriter
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import CallRecord
from ivr.simulator.cli import SimClock
from survey.models import SurveyAnswer
from tests.calls import add_specialists, place_call


def test_each_alone_write_a_call_makes_is_one_statement(app: Flask, clock: SimClock,
                                                        db: Session) -> None:
    add_specialists(db)
    writer: DurableWriter = app.extensions["durable"]
    written: list[tuple[str, dict[str, Any]]] = []
    write = writer.write

    def spied(kind: str, payload: dict[str, Any]) -> None:
        written.append((kind, payload))
        write(kind, payload)

    writer.write = spied  # type: ignore[method-assign]
    try:  # a call answered by a specialist, then the survey
        place_call(app, clock, "+18075550123", ["1", "1", "5", "1", "say:no I don't", "2"],
                   specialist=DEMO_SPECIALISTS["north"])
    finally:
        writer.write = write  # type: ignore[method-assign]
    assert {kind for kind, _ in written} >= ALONE, "every alone kind is exercised"
    record = db.scalars(select(CallRecord)).one()
    assert record.talk_seconds and record.answered_at and record.ended_at
    assert len(db.scalars(select(SurveyAnswer)).all()) == 4
    for kind, payload in written:
        if kind in ALONE:
            assert statements_of(app, kind, payload) == 1, kind


def statements_of(app: Flask, kind: str, payload: dict[str, Any]) -> int:
    """How many statements the applier runs for this payload (in a transaction rolled back)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    with app.app_context(), app.extensions["webhook_sessionmaker"]() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            APPLIERS[kind](session, payload)
        finally:
            event.remove(engine, "before_cursor_execute", count)
            session.rollback()
    return len(seen)


def test_alone_writes_run_in_autocommit_on_postgresql_only(app: Flask) -> None:
    """PostgreSQL: the statement is its own transaction; SQLite keeps its transactions."""
    writer: DurableWriter = app.extensions["durable"]
    with app.app_context(), writer.single() as one, writer.makesession() as many:
        postgres = one.get_bind().dialect.name == "postgresql"
        level = one.connection().get_execution_options().get("isolation_level")
        assert level == ("AUTOCOMMIT" if postgres else None)
        assert many.connection().get_execution_options().get("isolation_level") is None
        if postgres:
            assert one.connection().connection.dbapi_connection.autocommit  # type: ignore[union-attr]
            assert not many.connection().connection.dbapi_connection.autocommit  # type: ignore[union-attr]
