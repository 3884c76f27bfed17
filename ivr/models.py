"""Durable records of calls and of the specialists who answer them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, UTCDateTime

# What became of a call; reports count these.
RESULT_ANSWERED = "answered"  # a specialist took it (possibly after overflow)
RESULT_ABANDONED = "abandoned"  # the caller hung up while queued
RESULT_IVR_ABANDONED = "ivr_abandoned"  # the caller hung up before reaching a queue
RESULT_TRANSFERRED = "transferred"  # routing sent it to another number
RESULT_INFORMATION = "information"  # disaster mode: heard the recorded information, no queue
RESULT_IN_PROGRESS = "in_progress"
RESULT_CALLBACK = "callback"  # the caller left the queue to be called back (see Callback)

# How a call came to the crisis line (CallRecord.crisis_via).
CRISIS_VIA_MENU = "menu"  # the caller pressed the crisis key in the need menu
CRISIS_VIA_SPECIALIST = "specialist"  # the specialist transferred the call
CRISIS_VIA = (CRISIS_VIA_MENU, CRISIS_VIA_SPECIALIST)

# Transfers (CallTransfer): how, to what, and how it went (None while pending).
TRANSFER_KINDS = ("warm", "cold")
TRANSFER_TARGET_KINDS = ("number", "provider", "line", "crisis")
TRANSFER_OUTCOMES = ("answered", "no-answer", "busy", "failed", "canceled")

# What became of a callback offer (Callback.status).
CB_OFFERED = "offered"  # heard "press 1 to be called back"; did not (yet) accept
CB_CONFIRMING = "confirming"  # keyed a number, not yet confirmed (the only unconfirmed number kept)
CB_OWED = "owed"  # confirmed, waiting for its turn (or its next try)
CB_DIALING = "dialing"  # a specialist claimed it and the callee is being called
CB_CONNECTED = "connected"  # the callee pressed the key: bridged to the specialist
CB_COMPLETED = "completed"  # the call took place (number erased)
CB_FAILED = "failed"  # not reached in the tries allowed (number erased)
CB_CANCELLED = "cancelled"  # the caller did not confirm a number, or stayed in the queue
CB_OPEN = (CB_OWED, CB_DIALING, CB_CONNECTED)


class CallRecord(Base):
    """One call, closed by Twilio's status callback. Never holds the raw caller number."""

    __tablename__ = "call_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ivr_seconds: Mapped[int | None] = mapped_column(Integer)
    queue_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8), default="en")
    interpreter_language: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(32), index=True)
    region_source: Mapped[str | None] = mapped_column(String(16))
    need: Mapped[str | None] = mapped_column(String(32), index=True)
    provider: Mapped[str | None] = mapped_column(String(32), index=True)
    overflowed: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[str] = mapped_column(String(16), default=RESULT_IN_PROGRESS, index=True)
    specialist_id: Mapped[int | None] = mapped_column(Integer)
    routing_trace: Mapped[Any | None] = mapped_column(JSON)
    # Written by ivr.call_extras (the conference's call controls and the crisis option).
    crisis: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    crisis_via: Mapped[str | None] = mapped_column(String(16))  # CRISIS_VIA_*
    hold_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Specialist(Base):
    """An Information & Referral specialist, recognised by the phone they dial in from."""

    __tablename__ = "specialists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    provider: Mapped[str] = mapped_column(String(32), index=True)
    languages: Mapped[str] = mapped_column(String(64), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Callback(Base):
    """A callback offered to a caller on hold, and, once accepted, owed to them.

    The raw number is held here and nowhere else (never logged, never in the store, in an
    outbox payload or a URL of ours), and only while the callback is open: completing it or
    giving up sets it to NULL. `joined_at` is when the caller first joined a queue: callbacks
    and callers still holding are taken in that order.
    """

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32), index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    region: Mapped[str | None] = mapped_column(String(32))
    need: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=CB_OFFERED, index=True)
    number: Mapped[str | None] = mapped_column(String(20))
    number_source: Mapped[str | None] = mapped_column(String(16))  # caller_id | keyed
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    specialist_id: Mapped[int | None] = mapped_column(Integer)
    callback_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_result: Mapped[str | None] = mapped_column(String(24))


class InterpreterSession(Base):
    """A tele-interpreter on a call, from joining to leaving; `minutes` is set when it ends.
    (call_sid, started_at) is the natural key that makes a replayed write harmless."""

    __tablename__ = "interpreter_sessions"
    __table_args__ = (UniqueConstraint("call_sid", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    vendor: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[float | None] = mapped_column(Float)


class CallTransfer(Base):
    """A transfer of a call, warm or cold, to a number, a provider's queue or a configured
    line; `outcome` is None while the far end rings. (call_sid, at) is its natural key."""

    __tablename__ = "call_transfers"
    __table_args__ = (UniqueConstraint("call_sid", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # TRANSFER_KINDS
    target_kind: Mapped[str] = mapped_column(String(16))  # TRANSFER_TARGET_KINDS
    target: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))  # TRANSFER_OUTCOMES
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CallHold(Base):
    """One hold period's length, keyed by a write id made when it was recorded: adding to
    CallRecord.hold_seconds is not idempotent, so the record holds the sum of these."""

    __tablename__ = "call_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    write_id: Mapped[str] = mapped_column(String(32), unique=True)
    seconds: Mapped[float] = mapped_column(Float)
