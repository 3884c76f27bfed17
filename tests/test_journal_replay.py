"""Replaying the local journal once the database is back: in batches, in order, idempotently.

At 500 callers with PostgreSQL refused for 20 s, 4,254 entries waited in the journal and
were not all written 90 s after the database returned: the replay wrote one entry per
transaction (one commit, and one synced journal delete, each). It now writes `REPLAY_BATCH`
entries per transaction; a batch the database refuses is retried entry by entry, so only
the bad entry is set aside. `bench/replay.py` measures entries/s, one-by-one against
batched, in the same run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from config.durable import REPLAY_BATCH, DurableWriter
from ivr.models import CallRecord
from ivr.records import table
from survey.models import SurveyAnswer

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def routed(i: int) -> dict[str, Any]:
    """The journal payload of a routed call record (as `ivr.records` writes it)."""
    row: dict[str, Any] = dict.fromkeys(table.c.keys())
    row.pop("id")
    at = START + timedelta(seconds=i)
    row.update(call_sid=f"CArp{i:05d}", started_at=at, language="fr" if i % 2 else "en",
               region="north", region_source="caller_id", need="housing", provider="north",
               overflowed=False, enqueued_at=at, ivr_seconds=30, result="in_progress")
    return {"kind": "routed", "lost": False, "row": row}


def answer(i: int) -> dict[str, Any]:
    from survey.definition import current

    definition = current("post_call")
    return {"context": {"call_sid": f"CArp{i:05d}", "language": "en", "region": "north",
                        "provider": "north", "call_date": START.date()},
            "survey": definition.id, "version": definition.version,
            "question": definition.questions[0].id, "value": "5", "at": START}


def fill(writer: DurableWriter, calls: int) -> int:
    for i in range(calls):
        writer.journal.append("call_record", routed(i))
        writer.journal.append("survey.answer", answer(i))
    return 2 * calls


def commits_during(app: Flask, action: Any) -> int:
    engine = app.extensions["webhook_db_engine"]
    seen: list[int] = []

    def committed(_conn: Any) -> None:
        seen.append(1)

    event.listen(engine, "commit", committed)
    try:
        action()
    finally:
        event.remove(engine, "commit", committed)
    return len(seen)


def test_a_large_backlog_drains_in_batches(app: Flask, db: Session) -> None:
    writer: DurableWriter = app.extensions["durable"]
    entries = fill(writer, 1500)
    written: list[int] = []
    commits = commits_during(app, lambda: written.append(writer.drain()))
    assert written == [entries] and writer.journal.count() == 0
    assert commits <= entries // REPLAY_BATCH + 1, commits  # not one per entry
    assert db.scalar(select(func.count()).select_from(CallRecord)) == 1500
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 1500
    french = db.scalar(select(func.count()).select_from(CallRecord).where(
        CallRecord.language == "fr"))
    assert french == 750


def test_a_replay_repeated_changes_nothing(app: Flask, db: Session) -> None:
    writer: DurableWriter = app.extensions["durable"]
    fill(writer, 300)
    writer.drain()
    fill(writer, 300)  # as if the first replay's deletes had been lost
    assert writer.drain() == 600
    assert db.scalar(select(func.count()).select_from(CallRecord)) == 300
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 300


def test_a_refused_entry_is_set_aside_and_its_batch_still_written(
        app: Flask, db: Session) -> None:
    """An entry the database refuses (a bug, not an outage) fails its batch; the batch is
    replayed one by one, so the others are written and only that entry is set aside."""
    writer: DurableWriter = app.extensions["durable"]
    for i in range(10):
        payload = routed(i)
        if i == 4:
            payload["row"]["call_sid"] = None  # NOT NULL: refused
        writer.journal.append("call_record", payload)
    assert writer.drain() == 9
    assert writer.journal.count() == 0  # set aside: kept in the file, not retried
    sids = set(db.scalars(select(CallRecord.call_sid)))
    assert sids == {f"CArp{i:05d}" for i in range(10) if i != 4}


def test_order_is_kept_within_a_batch(app: Flask, db: Session) -> None:
    """A routed write then its close for the same call, in one batch: the close wins."""
    writer: DurableWriter = app.extensions["durable"]
    first = routed(1)
    close = routed(1)
    close["kind"] = "closed"
    close["row"].update(ended_at=START + timedelta(minutes=5), result="abandoned")
    writer.journal.append("call_record", first)
    writer.journal.append("call_record", close)
    writer.drain()
    record = db.scalars(select(CallRecord)).one()
    assert record.result == "abandoned" and record.ended_at is not None


def test_a_write_carrying_nul_is_kept_without_it() -> None:
    """A request can carry NUL anywhere (the fuzz's CallSid); PostgreSQL's text refuses it,
    so a write holding one would fail, and be replayed, for ever."""
    from config.durable import without_nul

    assert without_nul({"row": {"call_sid": "CA\x001", "n": 3, "tags": ["a\x00", "b"]}}) == {
        "row": {"call_sid": "CA1", "n": 3, "tags": ["a", "b"]}}
