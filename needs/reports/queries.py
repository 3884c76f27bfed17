"""The needs report's SQL: GROUP BY queries whose small results (cubes) are added up in Python.

Need rows carry their record's date, month, region, FSA and completeness, so each query reads
one table; only completed records count. No data row reaches Python: a million needs give a
few thousand cube rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from needs.models import STATUS_COMPLETE, ContactNeed, ContactRecord
from survey.reports.period import Period


@dataclass(frozen=True)
class Scope:
    """Which records a report covers: a period of call dates, optionally one region or FSA."""

    period: Period
    region: str | None = None
    fsa: str | None = None


def _needs_in(scope: Scope) -> ColumnElement[bool]:
    terms = [ContactNeed.call_date.between(scope.period.start, scope.period.end),
             ContactNeed.complete == true()]
    if scope.region:
        terms.append(ContactNeed.region == scope.region)
    if scope.fsa:
        terms.append(ContactNeed.fsa == scope.fsa)
    return and_(*terms)


def need_cube(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Needs per region, month, code, outcome and reason."""
    keys = (ContactNeed.region, ContactNeed.month, ContactNeed.taxonomy_code.label("code"),
            ContactNeed.met, ContactNeed.unmet_reason.label("reason"))
    stmt = select(*keys, func.count().label("needs")).where(_needs_in(scope)).group_by(*keys)
    return [dict(row._mapping) for row in db.execute(stmt)]


def fsa_cube(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Needs per FSA (and its region) and outcome."""
    keys = (ContactNeed.fsa, ContactNeed.region, ContactNeed.met)
    stmt = select(*keys, func.count().label("needs")).where(_needs_in(scope)).group_by(*keys)
    return [dict(row._mapping) for row in db.execute(stmt)]


def record_cube(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Completed records per region, day and call type, with their wrap-up time sums."""
    terms = [ContactRecord.call_date.between(scope.period.start, scope.period.end),
             ContactRecord.status == STATUS_COMPLETE]
    if scope.region:
        terms.append(ContactRecord.region == scope.region)
    if scope.fsa:
        terms.append(ContactRecord.fsa == scope.fsa)
    keys = (ContactRecord.region, ContactRecord.call_date.label("day"), ContactRecord.call_type)
    stmt = (select(*keys, func.count().label("records"),
                   func.coalesce(func.sum(ContactRecord.wrap_up_seconds), 0).label("wrap_sum"),
                   func.count(ContactRecord.wrap_up_seconds).label("wrap_n"))
            .where(and_(*terms)).group_by(*keys))
    return [dict(row._mapping) for row in db.execute(stmt)]
