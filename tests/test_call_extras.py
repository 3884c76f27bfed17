"""What the call controls record (ivr.call_extras): each write, on SQLite and PostgreSQL, is
harmless when replayed, and waits in the journal while PostgreSQL is down."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from config.durable import DurableWriter
from config.settings import Settings
from config.shared_store import SharedStore
from ivr import call_extras
from ivr.models import CallRecord, CallTransfer, InterpreterSession
from ivr.simulator.cli import SimClock
from tests.conftest import _app_for
from tests.fault_servers import TcpProxy

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SID = "CAextras0001"


def add_record(db: Session, sid: str = SID) -> None:
    db.add(CallRecord(call_sid=sid, started_at=AT, result="answered", answered_at=AT))
    db.commit()


def one_record(db: Session, sid: str = SID) -> CallRecord:
    db.expire_all()
    return db.scalars(select(CallRecord).where(CallRecord.call_sid == sid)).one()


def test_holds_add_up(app: Flask, db: Session) -> None:
    add_record(db)
    with app.app_context():
        call_extras.record_hold(SID, 30.4)
        call_extras.record_hold(SID, 45.2)
        call_extras.record_hold("CAother", 10)  # another call's hold is not this one's
    assert one_record(db).hold_seconds == 76


def test_crisis_flag_first_via_wins_and_creates_the_record(app: Flask, db: Session) -> None:
    with app.app_context():
        call_extras.mark_crisis(SID, "menu", started_at=AT)
        call_extras.mark_crisis(SID, "specialist")
    record = one_record(db)
    assert (record.crisis, record.crisis_via, record.started_at) == (True, "menu", AT)
    assert record.hold_seconds == 0 and record.result == "in_progress"


def test_an_existing_record_keeps_its_facts_when_flagged(app: Flask, db: Session) -> None:
    add_record(db)
    with app.app_context():
        call_extras.mark_crisis(SID, "specialist")
    record = one_record(db)
    assert (record.crisis, record.crisis_via, record.result) == (True, "specialist", "answered")
    assert not one_record_of(db, "CAnever")


def one_record_of(db: Session, sid: str) -> list[CallRecord]:
    return list(db.scalars(select(CallRecord).where(CallRecord.call_sid == sid)))


def test_interpreter_minutes(app: Flask, db: Session) -> None:
    with app.app_context():
        call_extras.interpreter_joined(SID, "lsa", "pa", AT)
        call_extras.interpreter_left(SID, AT + timedelta(minutes=7, seconds=30))
        call_extras.interpreter_joined(SID, "lsa", "ur", AT + timedelta(minutes=10))
    sessions = db.scalars(select(InterpreterSession).order_by(InterpreterSession.started_at)).all()
    assert [(s.vendor, s.language, s.minutes) for s in sessions] == [
        ("lsa", "pa", 7.5), ("lsa", "ur", None)]
    assert sessions[0].ended_at == AT + timedelta(minutes=7, seconds=30)


def test_transfers_end_with_their_outcome(app: Flask, db: Session) -> None:
    with app.app_context():
        call_extras.transfer_started(SID, "warm", "line", "kids_help_phone", AT)
        call_extras.transfer_ended(SID, "no-answer", AT + timedelta(seconds=30))
        call_extras.transfer_started(SID, "cold", "crisis", "988", AT + timedelta(minutes=1))
    rows = db.scalars(select(CallTransfer).order_by(CallTransfer.at)).all()
    assert [(t.kind, t.target_kind, t.target, t.outcome) for t in rows] == [
        ("warm", "line", "kids_help_phone", "no-answer"), ("cold", "crisis", "988", None)]


@pytest.mark.parametrize("call", [
    lambda: call_extras.transfer_started(SID, "lukewarm", "line", "x", AT),
    lambda: call_extras.transfer_started(SID, "warm", "planet", "x", AT),
    lambda: call_extras.transfer_ended(SID, "maybe", AT),
    lambda: call_extras.mark_crisis(SID, "psychic"),
])
def test_a_bad_value_is_refused_before_the_journal(app: Flask, call: object) -> None:
    with app.app_context(), pytest.raises(ValueError):
        call()  # type: ignore[operator]
    assert app.extensions["durable"].journal.count() == 0


def every_write(writer: DurableWriter) -> None:
    """Each kind of write, in the journal (as `keep` leaves them), in the order a call makes them."""
    writer.journal.append("call_extras.hold", {"call_sid": SID, "write_id": "h1", "seconds": 20.0})
    writer.journal.append("call_extras.crisis", {"call_sid": SID, "via": "specialist", "started_at": AT})
    writer.journal.append("call_extras.interpreter_joined", {
        "call_sid": SID, "vendor": "lsa", "language": "pa", "started_at": AT})
    writer.journal.append("call_extras.interpreter_left", {"call_sid": SID, "at": AT + timedelta(minutes=3)})
    writer.journal.append("call_extras.transfer_started", {
        "call_sid": SID, "kind": "warm", "target_kind": "crisis", "target": "988", "at": AT})
    writer.journal.append("call_extras.transfer_ended", {
        "call_sid": SID, "outcome": "answered", "at": AT + timedelta(minutes=1)})


def assert_written_once(db: Session) -> None:
    record = one_record(db)
    assert (record.hold_seconds, record.crisis, record.crisis_via) == (20, True, "specialist")
    sessions = db.scalars(select(InterpreterSession)).all()
    assert [(s.language, s.minutes) for s in sessions] == [("pa", 3.0)]
    transfers = db.scalars(select(CallTransfer)).all()
    assert [(t.target, t.outcome) for t in transfers] == [("988", "answered")]


def test_a_replay_repeated_changes_nothing(app: Flask, db: Session) -> None:
    """As if the first replay's journal deletes had been lost: every entry written twice."""
    add_record(db)
    writer: DurableWriter = app.extensions["durable"]
    every_write(writer)
    every_write(writer)
    assert writer.drain() == 12
    assert_written_once(db)


def test_a_replayed_end_does_not_close_a_later_session(app: Flask, db: Session) -> None:
    writer: DurableWriter = app.extensions["durable"]
    left = {"call_sid": SID, "at": AT + timedelta(minutes=2)}
    writer.journal.append("call_extras.interpreter_joined", {
        "call_sid": SID, "vendor": "lsa", "language": "pa", "started_at": AT})
    writer.journal.append("call_extras.interpreter_left", left)
    writer.journal.append("call_extras.interpreter_joined", {
        "call_sid": SID, "vendor": "lsa", "language": "ur", "started_at": AT + timedelta(minutes=5)})
    writer.journal.append("call_extras.interpreter_left", left)  # the first end, replayed again
    writer.drain()
    sessions = db.scalars(select(InterpreterSession).order_by(InterpreterSession.started_at)).all()
    assert [s.minutes for s in sessions] == [2.0, None]


# -- PostgreSQL down: journaled, then replayed ----------------------------------------------


@pytest.fixture
def pg_app(settings: Settings, clock: SimClock, proxied_db_url: str,
           store: SharedStore) -> Iterator[Flask]:
    fast = replace(settings, database_url=proxied_db_url, redis_timeout_seconds=0.2,
                   breaker_cooldown_seconds=0.3, webhook_db_timeout_seconds=0.5)
    yield from _app_for(fast, store, clock)


@pytest.fixture
def direct_db(database_url: str) -> Iterator[Session]:
    """A session that bypasses the proxy: what the database really holds."""
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    session = sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()


def test_written_while_postgres_is_down_and_replayed(
        pg_app: Flask, direct_db: Session, pg_proxy: TcpProxy) -> None:
    add_record(direct_db)
    writer: DurableWriter = pg_app.extensions["durable"]
    pg_proxy.refuse()
    with pg_app.app_context():
        call_extras.record_hold(SID, 20)
        call_extras.mark_crisis(SID, "specialist")
        call_extras.interpreter_joined(SID, "lsa", "pa", AT)
        call_extras.interpreter_left(SID, AT + timedelta(minutes=3))
        call_extras.transfer_started(SID, "warm", "crisis", "988", AT)
        call_extras.transfer_ended(SID, "answered", AT + timedelta(minutes=1))
    assert writer.journal.count() == 6
    assert one_record(direct_db).hold_seconds == 0  # nothing reached the database yet
    pg_proxy.restore()
    assert writer.wait_drained(timeout=30)
    assert_written_once(direct_db)
