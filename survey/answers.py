"""Storing answers exactly once: Twilio retries webhooks, and a retry must not count twice.

The (call_sid, question) pair is unique; inserts use the database's ON CONFLICT DO NOTHING,
so the first answer stands and a repeated or concurrent post is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config.database import Base
from config.extensions import local_zone
from survey.definition import Definition, Question
from survey.models import SurveyAnswer


@dataclass(frozen=True)
class CallContext:
    """What reports group answers by, copied from the call when the survey starts."""

    call_sid: str
    language: str
    region: str | None
    provider: str | None
    call_date: date


def local_date(moment: datetime, timezone: str | None = None) -> date:
    """The day of `moment` in `timezone`, by default the live deployment's."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone) if timezone else local_zone()).date()


def insert_ignore(db: Session, model: type[Base], values: dict[str, Any],
                  keys: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL; True if a row was added."""
    stmt = _insert_ignore_statement(db.get_bind().dialect.name, model, tuple(keys))
    # Core execution on the session's connection (same transaction): the ORM path would treat
    # a parameter dict as a bulk insert and report no rowcount.
    return bool(db.connection().execute(stmt, values).rowcount)


@lru_cache(maxsize=16)
def _insert_ignore_statement(dialect: str, model: type[Base], keys: tuple[str, ...]) -> Insert:
    """Built once per table: the values go in as parameters, so SQLAlchemy's compiled cache
    serves every answer (building the statement each time cost more than running it)."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return make(model).on_conflict_do_nothing(index_elements=list(keys))


def record_answer(db: Session, context: CallContext, definition: Definition, question: Question,
                  value: str | None, at: datetime, channel: str = "voice") -> bool:
    """Store one answer (`value` None = skipped); a repeat of the same question is ignored."""
    return insert_ignore(db, SurveyAnswer, {
        "call_sid": context.call_sid, "survey": definition.id,
        "definition_version": definition.version, "question": question.id,
        "value": value, "positive": question.is_positive(value),
        "answered_at": at.astimezone(UTC), "channel": channel,
        "call_date": context.call_date, "month": context.call_date.strftime("%Y-%m"),
        "language": context.language, "region": context.region, "provider": context.provider,
    }, ["call_sid", "question"])


def answers_for(db: Session, call_sid: str) -> dict[str, str | None]:
    rows = db.execute(select(SurveyAnswer.question, SurveyAnswer.value)
                      .where(SurveyAnswer.call_sid == call_sid))
    return {question: value for question, value in rows}
