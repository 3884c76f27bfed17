"""What the call controls record on a call: hold time, the crisis flag, interpreters, transfers.

The conference's controls (ivr.agent and the pages) and the need menu's crisis option call
these; each is one durable write (`config.durable`), applied at once or journaled while
PostgreSQL is down and replayed in order, so every applier is harmless twice:

- an interpreter or a transfer is inserted if absent on its natural key (call_sid and the
  moment it started), and ended by an UPDATE of the call's open row that began no later
  than the end (a replayed end cannot close a later session);
- the crisis flag is an upsert of the call's record where the first `via` wins;
- a hold is an insert-if-absent keyed by a write id made when it was recorded, and the
  record's `hold_seconds` is the sum of the call's holds (adding in place would count a
  replayed write twice).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from config import clock, durable
from config.extensions import writer
from ivr.models import (
    CRISIS_VIA,
    TRANSFER_KINDS,
    TRANSFER_OUTCOMES,
    TRANSFER_TARGET_KINDS,
    CallHold,
    CallRecord,
    CallTransfer,
    InterpreterSession,
)

records = cast(Table, CallRecord.__table__)
holds = cast(Table, CallHold.__table__)
interpreters = cast(Table, InterpreterSession.__table__)
transfers = cast(Table, CallTransfer.__table__)


def _insert(db: Session, table: Table) -> Any:
    return (pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    """A caller's bug fails here, in the request, not later in the journal's replay."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}: {value!r}")


# -- hold ---------------------------------------------------------------------------------


@durable.register("call_extras.hold")
def apply_hold(db: Session, payload: dict[str, Any]) -> None:
    db.execute(_insert(db, holds).on_conflict_do_nothing(index_elements=["write_id"]),
               {"call_sid": payload["call_sid"], "write_id": payload["write_id"],
                "seconds": payload["seconds"]})
    total = (select(func.coalesce(func.sum(holds.c.seconds), 0))
             .where(holds.c.call_sid == payload["call_sid"]).scalar_subquery())
    db.execute(records.update().where(records.c.call_sid == payload["call_sid"])
               .values(hold_seconds=func.round(total)))


def record_hold(call_sid: str, seconds: float) -> None:
    """One hold period ended: add its length to the call's hold time."""
    writer().write("call_extras.hold", {"call_sid": call_sid, "write_id": uuid.uuid4().hex,
                                        "seconds": max(0.0, float(seconds))})


# -- crisis -------------------------------------------------------------------------------


@durable.register("call_extras.crisis")
def apply_crisis(db: Session, payload: dict[str, Any]) -> None:
    """Upsert: the flag may come before the call has a record (the need menu's key)."""
    stmt = _insert(db, records)
    db.execute(stmt.on_conflict_do_update(index_elements=["call_sid"], set_={
        "crisis": True, "crisis_via": func.coalesce(records.c.crisis_via, stmt.excluded.crisis_via)}),
        {"call_sid": payload["call_sid"], "started_at": payload["started_at"], "crisis": True,
         "crisis_via": payload["via"], "language": "en", "overflowed": False,
         "result": "in_progress", "hold_seconds": 0})


def mark_crisis(call_sid: str, via: str, started_at: datetime | None = None) -> None:
    """Flag the call as a crisis call; the first `via` ("menu" | "specialist") wins.
    `started_at`: when the call began, for a record this creates (default: now)."""
    _check(via, CRISIS_VIA, "via")
    writer().write("call_extras.crisis", {"call_sid": call_sid, "via": via,
                                          "started_at": started_at or clock.now()})


# -- interpreters -------------------------------------------------------------------------


@durable.register("call_extras.interpreter_joined")
def apply_interpreter_joined(db: Session, payload: dict[str, Any]) -> None:
    db.execute(_insert(db, interpreters).on_conflict_do_nothing(
        index_elements=["call_sid", "started_at"]), payload)


@durable.register("call_extras.interpreter_left")
def apply_interpreter_left(db: Session, payload: dict[str, Any]) -> None:
    at: datetime = payload["at"]
    for session in db.scalars(select(InterpreterSession).where(
            InterpreterSession.call_sid == payload["call_sid"],
            InterpreterSession.ended_at.is_(None), InterpreterSession.started_at <= at)):
        session.ended_at = at
        session.minutes = round(max(0.0, (at - session.started_at).total_seconds()) / 60, 2)
    db.flush()


def interpreter_joined(call_sid: str, vendor: str, language: str, at: datetime) -> None:
    """A tele-interpreter (vendor, language code) joined the call's conference at `at`."""
    writer().write("call_extras.interpreter_joined", {
        "call_sid": call_sid, "vendor": vendor, "language": language, "started_at": at})


def interpreter_left(call_sid: str, at: datetime) -> None:
    """The interpreter left: end the call's open session and count its minutes."""
    writer().write("call_extras.interpreter_left", {"call_sid": call_sid, "at": at})


# -- transfers ----------------------------------------------------------------------------


@durable.register("call_extras.transfer_started")
def apply_transfer_started(db: Session, payload: dict[str, Any]) -> None:
    db.execute(_insert(db, transfers).on_conflict_do_nothing(index_elements=["call_sid", "at"]),
               payload)


@durable.register("call_extras.transfer_ended")
def apply_transfer_ended(db: Session, payload: dict[str, Any]) -> None:
    db.execute(transfers.update().where(
        transfers.c.call_sid == payload["call_sid"], transfers.c.ended_at.is_(None),
        transfers.c.at <= payload["at"]).values(outcome=payload["outcome"],
                                                ended_at=payload["at"]))


def transfer_started(call_sid: str, kind: str, target_kind: str, target: str,
                     at: datetime) -> None:
    """A transfer began: kind "warm" | "cold", to a "number" | "provider" | "line" | "crisis"."""
    _check(kind, TRANSFER_KINDS, "kind")
    _check(target_kind, TRANSFER_TARGET_KINDS, "target_kind")
    writer().write("call_extras.transfer_started", {
        "call_sid": call_sid, "kind": kind, "target_kind": target_kind, "target": target,
        "at": at})


def transfer_ended(call_sid: str, outcome: str, at: datetime) -> None:
    """The call's open transfer ended: "answered" | "no-answer" | "busy" | "failed" | "canceled"."""
    _check(outcome, TRANSFER_OUTCOMES, "outcome")
    writer().write("call_extras.transfer_ended", {"call_sid": call_sid, "outcome": outcome,
                                                  "at": at})
