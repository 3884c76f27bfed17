"""Durable records of calls and of the specialists who answer them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, UTCDateTime

# What became of a call; reports count these.
RESULT_ANSWERED = "answered"  # a specialist took it (possibly after overflow)
RESULT_ABANDONED = "abandoned"  # the caller hung up while queued
RESULT_IVR_ABANDONED = "ivr_abandoned"  # the caller hung up before reaching a queue
RESULT_TRANSFERRED = "transferred"  # routing sent it to another number
RESULT_INFORMATION = "information"  # disaster mode: heard the recorded information, no queue
RESULT_IN_PROGRESS = "in_progress"


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


class Specialist(Base):
    """An Information & Referral specialist, recognised by the phone they dial in from."""

    __tablename__ = "specialists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    provider: Mapped[str] = mapped_column(String(32), index=True)
    languages: Mapped[str] = mapped_column(String(64), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
