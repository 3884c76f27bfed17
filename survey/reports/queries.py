"""The report's SQL: each table is read once, by one GROUP BY with conditional sums.

Both queries group by every reporting dimension at once (region, provider, language, month,
and the question or the need), giving a small "cube" of partial counts: a few thousand rows
whatever the number of calls. `survey.reports.rollup` then adds those partial counts up into
each breakdown; counts and sums add up exactly, so no figure is approximated, and no data
row ever reaches Python. Survey answers carry copies of their call's context, so the survey
cube reads one table without joins.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select, text, true
from sqlalchemy.orm import Session

from ivr.models import RESULT_ABANDONED, RESULT_ANSWERED, RESULT_IVR_ABANDONED, CallRecord
from survey.models import SurveyAnswer
from survey.reports.period import Period

SERVICE_LEVEL_SECONDS = 60


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """COUNT(*) FILTER (WHERE ...): a conditional sum both SQLite and PostgreSQL run fast."""
    return func.count().filter(condition)


def _sum_if(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.sum(value).filter(condition)


def tune_for_reports(db: Session) -> None:
    """PostgreSQL cannot estimate how few groups the month expression makes, so it plans a
    sort of a million rows of text; a hash aggregate is several times faster. Applies to
    this transaction only (SET LOCAL)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL enable_sort = off"))
        db.execute(text("SET LOCAL jit = off"))


def survey_cube(db: Session, period: Period) -> list[dict[str, Any]]:
    """Answers per survey version, question and call context: given, positive, skipped."""
    keys = (SurveyAnswer.survey, SurveyAnswer.definition_version.label("version"),
            SurveyAnswer.question, SurveyAnswer.region, SurveyAnswer.provider,
            SurveyAnswer.language, SurveyAnswer.month)
    stmt = (
        select(*keys,
               func.count().label("rows"),
               func.count(SurveyAnswer.positive).label("answered"),
               _count_if(SurveyAnswer.positive == true()).label("positive"))
        .where(SurveyAnswer.call_date.between(period.start, period.end))
        .group_by(*keys)
    )
    return [dict(row._mapping) for row in db.execute(stmt)]


def _month(period: Period) -> ColumnElement[Any]:
    """The call's month in local time, from boundaries computed once (same SQL everywhere)."""
    months = period.month_starts()
    whens = [(CallRecord.started_at >= start, label) for label, start in reversed(months)]
    return case(*whens, else_=months[0][0])


def _in_period(period: Period) -> ColumnElement[bool]:
    return and_(CallRecord.started_at >= period.start_utc, CallRecord.started_at < period.end_utc)


def call_cube(db: Session, period: Period) -> list[dict[str, Any]]:
    """Calls per context and need: volume, results, queue and talk sums, service level."""
    answered = CallRecord.result == RESULT_ANSWERED
    month = _month(period).label("month")
    keys = (CallRecord.region, CallRecord.provider, CallRecord.language, CallRecord.need)
    stmt = (
        select(*keys, month,
               func.count().label("calls"),
               _count_if(answered).label("answered"),
               _count_if(CallRecord.result == RESULT_ABANDONED).label("abandoned"),
               _count_if(CallRecord.result == RESULT_IVR_ABANDONED).label("ivr_abandoned"),
               _count_if(and_(answered, CallRecord.queue_seconds <= SERVICE_LEVEL_SECONDS))
               .label("answered_within_60s"),
               _count_if(CallRecord.overflowed == true()).label("overflowed"),
               _sum_if(answered, CallRecord.queue_seconds).label("queue_sum"),
               _count_if(and_(answered, CallRecord.queue_seconds.is_not(None))).label("queue_n"),
               _sum_if(answered, CallRecord.talk_seconds).label("talk_sum"),
               _count_if(and_(answered, CallRecord.talk_seconds.is_not(None))).label("talk_n"))
        .where(_in_period(period))
        .group_by(*keys, month)  # the label: PostgreSQL needs the very same expression
    )
    return [dict(row._mapping) for row in db.execute(stmt)]


def referral_model() -> Any | None:
    """`directory.models.Referral` (call_sid, need) once the directory area provides it."""
    try:
        module = importlib.import_module("directory.models")
    except ImportError:
        return None
    model = getattr(module, "Referral", None)
    return model if model is not None and hasattr(model, "call_sid") else None


def no_referral_by_need(db: Session, period: Period) -> dict[str | None, int] | None:
    """Answered calls per need with no referral given (an anti-join), or None without referrals."""
    referral = referral_model()
    if referral is None:
        return None
    given = exists().where(referral.call_sid == CallRecord.call_sid)
    stmt = (select(CallRecord.need, func.count())
            .where(_in_period(period), CallRecord.result == RESULT_ANSWERED, ~given)
            .group_by(CallRecord.need))
    return {need: int(n) for need, n in db.execute(stmt)}
