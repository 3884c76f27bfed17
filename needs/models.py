"""The specialist's contact record of a call: the caller's needs, coded, and what became of each.

One record per call (keyed by CallSid). Each need carries a taxonomy code and either the
referrals that met it or the reason it went unmet. Need rows also carry copies of the
record's reporting context (call date, month, region, FSA, whether the record is complete),
rewritten whenever the record is saved, so the planners' reports read one table with no join.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.database import Base, UTCDateTime

STATUS_DRAFT, STATUS_COMPLETE = "draft", "complete"

# The fixed list of reasons a need went unmet (211 Ontario's unmet-needs categories).
UNMET_REASONS = {
    "no_service": "No such service in the area",
    "not_eligible": "Not eligible",
    "waiting_list": "Waiting list or full",
    "cannot_reach": "Cannot reach it (distance, transport, hours)",
    "declined": "Caller declined",
    "other": "Other (say why in the note)",
}
CALL_TYPES = {"information": "Information", "referral": "Referral", "crisis": "Crisis",
              "advocacy": "Advocacy"}
AGE_GROUPS = {"under_18": "Under 18", "18_24": "18 to 24", "25_44": "25 to 44",
              "45_64": "45 to 64", "65_plus": "65 and over"}


class ContactRecord(Base):
    __tablename__ = "contact_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    specialist_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by: Mapped[int | None] = mapped_column(Integer)  # users.id
    status: Mapped[str] = mapped_column(String(16), default=STATUS_DRAFT, index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(32), index=True)
    menu_need: Mapped[str | None] = mapped_column(String(32))
    fsa: Mapped[str | None] = mapped_column(String(3))
    age_group: Mapped[str | None] = mapped_column(String(16))
    call_type: Mapped[str | None] = mapped_column(String(16))
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    follow_up_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    call_date: Mapped[date] = mapped_column(Date, index=True)  # local date the call started
    call_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wrap_up_seconds: Mapped[int | None] = mapped_column(Integer)
    locks_at: Mapped[datetime] = mapped_column(UTCDateTime())

    needs: Mapped[list[ContactNeed]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="ContactNeed.position")


class ContactNeed(Base):
    __tablename__ = "contact_needs"
    __table_args__ = (
        Index("ix_contact_needs_report", "call_date", "complete", "region"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("contact_records.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    taxonomy_code: Mapped[str] = mapped_column(String(80))
    met: Mapped[bool | None] = mapped_column(Boolean)  # None: not said yet (a draft)
    unmet_reason: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    referral_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # dir_referrals.id
    # Copies of the record's reporting context (see the module docstring).
    call_date: Mapped[date] = mapped_column(Date)
    month: Mapped[str] = mapped_column(String(7))
    region: Mapped[str | None] = mapped_column(String(32))
    fsa: Mapped[str | None] = mapped_column(String(3))
    complete: Mapped[bool] = mapped_column(Boolean, default=False)

    record: Mapped[ContactRecord] = relationship(back_populates="needs")


class ContactRecordAudit(Base):
    """An edit made after the record locked: who, when, and each changed field before and after."""

    __tablename__ = "contact_record_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("contact_records.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
