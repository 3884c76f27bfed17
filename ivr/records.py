"""Writing the durable call record at the moments that matter: routed, answered, ended.

The IVR menus touch only the fast session store; the database is written when the call
reaches a queue and after. Each write is one upsert keyed by CallSid (no read first), so
Twilio's retries and out-of-order callbacks are harmless, and the status callback creates
the record if the caller hung up before reaching a queue: every call is counted.

Writes go through the durable writer (`config.durable`): while PostgreSQL is down they wait
in the local journal and are replayed, in order, when it returns; the same upsert makes a
replay harmless. A write from a session that was lost (Redis restarted empty, and nothing in
the URL) leaves the row's context as it is: it knows only defaults, never better facts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from flask import current_app, has_request_context, request
from sqlalchemy import Table, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from config import durable
from config.extensions import caller_hasher, writer
from ivr.models import (
    RESULT_ABANDONED,
    RESULT_ANSWERED,
    RESULT_CALLBACK,
    RESULT_IN_PROGRESS,
    RESULT_INFORMATION,
    RESULT_IVR_ABANDONED,
    RESULT_TRANSFERRED,
    CallRecord,
)
from ivr.session import CallSession

table = cast(Table, CallRecord.__table__)


def _at(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


# Columns that ivr.call_extras writes: a record's own upserts leave them to their defaults
# on insert (a row made with every column None, as journaled before they existed, too).
EXTRAS = ("crisis", "crisis_via", "hold_seconds")

CONTEXT = ("caller_hash", "language", "interpreter_language", "region", "region_source", "need",
           "provider", "overflowed", "routing_trace")


def context_values(call: CallSession) -> dict[str, Any]:
    return {
        "caller_hash": call.caller_hash, "language": call.language,
        "interpreter_language": call.interpreter, "region": call.region,
        "region_source": call.region_source, "need": call.need, "provider": call.provider,
        "overflowed": call.overflowed, "routing_trace": call.routing_trace or None,
    }


def _result_after_close(new: Any) -> Any:
    """What the row already says wins over a session that may have been lost."""
    return case(
        (table.c.answered_at.is_not(None), RESULT_ANSWERED),
        (table.c.result == RESULT_TRANSFERRED, RESULT_TRANSFERRED),
        (new.result == RESULT_CALLBACK, RESULT_CALLBACK),
        (table.c.enqueued_at.is_not(None), RESULT_ABANDONED),
        (table.c.result == RESULT_INFORMATION, RESULT_INFORMATION),
        else_=RESULT_IVR_ABANDONED,
    )


def _on_conflict(kind: str, new: Any, lost: bool = False) -> dict[str, Any]:
    """For each write, how a new value (`new.<column>`) merges into an existing row.

    `lost`: the write comes from a session rebuilt from nothing, so the row's context wins.
    """
    keep_first = {name: func.coalesce(table.c[name], new[name])
                  for name in ("enqueued_at", "ivr_seconds", "queue_seconds")}
    context = {name: func.coalesce(table.c[name], new[name]) if lost
               else func.coalesce(new[name], table.c[name]) for name in CONTEXT}
    if kind == "routed":  # (an information-only call that then asked for a specialist: queued)
        transferred = case((new.result == RESULT_TRANSFERRED, RESULT_TRANSFERRED),
                           (table.c.result == RESULT_INFORMATION, new.result), else_=table.c.result)
        return {**context, **keep_first, "result": transferred}
    if kind == "information":  # never over a call that reached a queue
        informed = case((table.c.enqueued_at.is_(None), RESULT_INFORMATION), else_=table.c.result)
        return {**context, "result": informed}
    if kind == "answered":
        return {**context, "answered_at": func.coalesce(table.c.answered_at, new.answered_at),
                "specialist_id": func.coalesce(new.specialist_id, table.c.specialist_id),
                "queue_seconds": func.coalesce(new.queue_seconds, table.c.queue_seconds),
                "result": new.result}
    # The bridge's own duration (`record_talk`, from the specialist's Dial) wins over the
    # status callback's figure, which Twilio sends only after the survey.
    return {**context, **keep_first, "ended_at": new.ended_at, "result": _result_after_close(new),
            "talk_seconds": func.coalesce(table.c.talk_seconds, new.talk_seconds)}


@lru_cache(maxsize=16)
def _statement(dialect: str, kind: str, lost: bool = False) -> Any:
    """One prepared upsert per kind of write: built once, so SQLAlchemy's compiled cache hits."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(index_elements=["call_sid"],
                                      set_=_on_conflict(kind, stmt.excluded, lost))


@durable.register("call_record", alone=True)
def apply_record(db: Session, payload: dict[str, Any]) -> None:
    """The upsert itself: run at once, or later from the journal (the same statement)."""
    stmt = _statement(db.get_bind().dialect.name, payload["kind"], bool(payload.get("lost")))
    db.execute(stmt, {name: value for name, value in payload["row"].items()
                      if name not in EXTRAS or value is not None})


@durable.register("call_talk", alone=True)
def apply_talk(db: Session, payload: dict[str, Any]) -> None:
    """Set the talk time of a call that has a record; an UPDATE, so an unknown CallSid
    (whatever Twilio posted) never creates a row."""
    db.execute(table.update().where(table.c.call_sid == payload["call_sid"])
               .values(talk_seconds=payload["talk_seconds"]))


def record_talk(call_sid: str, seconds: float) -> None:
    """The bridged leg's own duration (Twilio's DialCallDuration on the specialist's Dial):
    the talk time, without the survey that follows on the caller's leg."""
    writer().write("call_talk", {"call_sid": call_sid, "talk_seconds": max(0, round(seconds))})


def fitted(row: dict[str, Any]) -> dict[str, Any]:
    """Each text cut to its column's length: a request can carry anything (a forged or
    garbled field), and a row PostgreSQL refuses as too long would never be kept."""
    for key, value in row.items():
        length = getattr(table.c[key].type, "length", None)
        if isinstance(value, str) and length and len(value) > length:
            row[key] = value[:length]
    return row


def _upsert(kind: str, call: CallSession, now: datetime, values: dict[str, Any],
            journal: bool = False) -> None:
    """INSERT the record, or merge into the existing one for this CallSid: one statement.
    `journal`: straight to the journal (a fallback, which must not wait on the database)."""
    row = dict.fromkeys(table.c.keys())
    row.pop("id")
    row.update(call_sid=call.call_sid, started_at=_at(call.started_at) or now, **values)
    payload = {"kind": kind, "lost": call.lost, "row": fitted(row)}
    if journal:
        writer().keep("call_record", payload)
    else:
        writer().write("call_record", payload)


def pseudonym(call: CallSession, now: datetime) -> None:
    """Give a session rebuilt without the store its caller pseudonym, from the `From` that
    Twilio posts on the caller's leg: only here, where a record is written."""
    if call.caller_hash is None and has_request_context():
        call.caller_hash = caller_hasher().digest(request.form.get("From"), now)


def record_routed(call: CallSession, now: datetime, transferred: bool = False,
                  journal: bool = False) -> None:
    if not journal:
        pseudonym(call, now)
    ivr_seconds = max(0, round(now.timestamp() - (call.started_at or now.timestamp())))
    _upsert("routed", call, now, {
        **context_values(call), "enqueued_at": now, "ivr_seconds": ivr_seconds,
        "result": RESULT_TRANSFERRED if transferred else RESULT_IN_PROGRESS}, journal)


def record_information(call: CallSession, now: datetime) -> None:
    """Disaster mode: the caller heard the recorded information about the event, and is an
    information-only call unless they go on to a queue (which then decides the result)."""
    pseudonym(call, now)
    _upsert("information", call, now, {**context_values(call), "result": RESULT_INFORMATION})


def record_answered(call: CallSession, now: datetime, queue_seconds: float | None,
                    specialist_id: int | None, journal: bool = False) -> None:
    if not journal:
        pseudonym(call, now)
    _upsert("answered", call, now, {
        **context_values(call), "answered_at": now, "specialist_id": specialist_id,
        "queue_seconds": None if queue_seconds is None else round(queue_seconds),
        "result": RESULT_ANSWERED}, journal)


def record_closed(call: CallSession, now: datetime, duration: float | None,
                  journal: bool = False) -> None:
    """Close the record from the status callback: end time, talk or wait time, final result."""
    if not journal:
        pseudonym(call, now)
    talk = round(now.timestamp() - call.answered_at) if call.answered_at else None
    waited = (round(now.timestamp() - call.enqueued_at)
              if call.enqueued_at and not call.answered_at else None)
    result = (RESULT_ANSWERED if call.answered_at else RESULT_TRANSFERRED if call.transferred
              else RESULT_CALLBACK if call.callback_id
              else RESULT_ABANDONED if call.enqueued_at
              else RESULT_INFORMATION if call.informed else RESULT_IVR_ABANDONED)
    values: dict[str, Any] = {
        "ended_at": now, "talk_seconds": talk, "queue_seconds": waited, "result": result,
        "ivr_seconds": round(duration) if duration is not None and not call.enqueued_at else None,
        "language": call.language, "overflowed": call.overflowed, "caller_hash": call.caller_hash}
    if call.provider:  # a lost session knows nothing: leave the row's context as it is
        values.update(context_values(call))
    _upsert("closed", call, now, values, journal)


def kept_by_fallback(call_sid: str, provider: str | None = None) -> CallSession:
    """The call as a fallback knows it, from the request alone: nothing but its CallSid
    (and the queue's provider on the bridge), marked lost so the row's context wins."""
    return CallSession(call_sid=call_sid, provider=provider, lost=True)


def recover_context(call: CallSession) -> bool:
    """Fill a lost session (Redis restarted empty, and no facts in the URL) from the call's
    record, whose routed write holds the caller's language, region, need and provider.

    Read on the webhooks' engine behind the database's breaker, so a database that is away
    costs at most its short timeouts; False when the record could not be read.
    """
    if not call.call_sid or not current_app.extensions["db_breaker"].allow():
        return False
    try:
        with current_app.extensions["webhook_sessionmaker"]() as db:
            row = db.execute(select(*(table.c[name] for name in CONTEXT)).where(
                table.c.call_sid == call.call_sid)).first()
    except Exception as err:  # the database too is away: the caller keeps the defaults
        if not durable.is_unavailable(err):
            raise
        return False
    if row is None:
        return False
    values = row._asdict()
    values["interpreter"] = values.pop("interpreter_language")
    values.pop("routing_trace")
    for name, value in values.items():
        if value is not None:
            setattr(call, name, value)
    call.lost = False
    return True
