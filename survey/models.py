"""Survey answers and the follow-up contacts callers consented to.

`SurveyAnswer` is one row per call and question (a unique pair, so Twilio's retries of a
webhook store it once). It carries copies of the call's region, provider, language and date
so the reports group one table without joining, which keeps them fast at millions of rows.

`FollowUpContact` is the only place a raw phone number is kept, and only until the outcome
survey is done, the caller says stop, or 30 days pass (`survey.contacts.purge_expired`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, UTCDateTime

# A follow-up contact's life.
CONTACT_SCHEDULED = "scheduled"  # waiting for its first attempt
CONTACT_IN_PROGRESS = "in_progress"  # at least one call or text went out
CONTACT_DONE = "done"  # the outcome survey was answered
CONTACT_STOPPED = "stopped"  # the caller said STOP or no
CONTACT_NO_ANSWER = "no_answer"  # every attempt went unanswered
CONTACT_EXPIRED = "expired"  # 30 days passed first
OPEN_STATUSES = (CONTACT_SCHEDULED, CONTACT_IN_PROGRESS)


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("call_sid", "question", name="uq_survey_answers_call_question"),
        Index("ix_survey_answers_report", "call_date", "question", "positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    survey: Mapped[str] = mapped_column(String(16))  # post_call | outcome
    definition_version: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(String(16))  # None: skipped
    positive: Mapped[bool | None] = mapped_column(Boolean)  # None: skipped
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(8), default="voice")  # voice | sms
    # copies of the call's context, for reports without joins
    call_date: Mapped[date] = mapped_column(Date)  # the day of the call, America/Toronto
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    language: Mapped[str] = mapped_column(String(8), default="en")
    region: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(32))


class FollowUpContact(Base):
    __tablename__ = "survey_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)  # in webhook URLs, not guessable
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(8))  # call | text
    phone: Mapped[str | None] = mapped_column(String(20))  # raw E.164; erased when done
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # finds SMS replies
    language: Mapped[str] = mapped_column(String(8), default="en")
    region: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(32))
    call_date: Mapped[date] = mapped_column(Date)
    definition_version: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=CONTACT_SCHEDULED, index=True)
    step: Mapped[str | None] = mapped_column(String(32))  # SMS: the question awaiting a reply
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_result: Mapped[str | None] = mapped_column(String(16))  # called | texted | failed
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
