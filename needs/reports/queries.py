"""The needs report's SQL: one small GROUP BY per section, added up in Python.

Need rows carry their record's date, month, region, FSA and completeness, so each query reads
one table; only completed records count. Each query groups by only what its section shows
(codes, months, regions, FSAs), so no result has more than a few thousand rows however many
needs there are, and no data row reaches Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select, true
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


def _grouped(db: Session, keys: tuple[Any, ...], where: ColumnElement[bool]) -> list[dict[str, Any]]:
    stmt = select(*keys, func.count().label("needs")).where(where).group_by(*keys)
    return [dict(row._mapping) for row in db.execute(stmt)]


def by_code(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Needs per coded term, outcome and reason (a few thousand rows at most)."""
    return _grouped(db, (ContactNeed.taxonomy_code.label("code"), ContactNeed.met,
                         ContactNeed.unmet_reason.label("reason")), _needs_in(scope))


def by_month(db: Session, scope: Scope) -> list[dict[str, Any]]:
    return _grouped(db, (ContactNeed.month, ContactNeed.met), _needs_in(scope))


def by_region(db: Session, scope: Scope) -> list[dict[str, Any]]:
    return _grouped(db, (ContactNeed.region, ContactNeed.met), _needs_in(scope))


def unmet_by_region_code(db: Session, scope: Scope) -> list[dict[str, Any]]:
    return _grouped(db, (ContactNeed.region, ContactNeed.taxonomy_code.label("code")),
                    and_(_needs_in(scope), ContactNeed.met == false()))


def reasons_for(db: Session, scope: Scope, codes: set[str]) -> list[dict[str, Any]]:
    """Unmet needs per region, code and reason, for the few codes that are top gaps somewhere."""
    if not codes:
        return []
    return _grouped(db, (ContactNeed.region, ContactNeed.taxonomy_code.label("code"),
                         ContactNeed.unmet_reason.label("reason")),
                    and_(_needs_in(scope), ContactNeed.met == false(),
                         ContactNeed.taxonomy_code.in_(sorted(codes))))


def fsa_cube(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Needs per FSA (and its region) and outcome."""
    return _grouped(db, (ContactNeed.fsa, ContactNeed.region, ContactNeed.met), _needs_in(scope))


def _records_in(scope: Scope) -> ColumnElement[bool]:
    terms = [ContactRecord.call_date.between(scope.period.start, scope.period.end),
             ContactRecord.status == STATUS_COMPLETE]
    if scope.region:
        terms.append(ContactRecord.region == scope.region)
    if scope.fsa:
        terms.append(ContactRecord.fsa == scope.fsa)
    return and_(*terms)


def records_by_region(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Completed records per region and call type, with their wrap-up time sums."""
    keys = (ContactRecord.region, ContactRecord.call_type)
    stmt = (select(*keys, func.count().label("records"),
                   func.coalesce(func.sum(ContactRecord.wrap_up_seconds), 0).label("wrap_sum"),
                   func.count(ContactRecord.wrap_up_seconds).label("wrap_n"))
            .where(_records_in(scope)).group_by(*keys))
    return [dict(row._mapping) for row in db.execute(stmt)]


def records_by_day(db: Session, scope: Scope) -> list[dict[str, Any]]:
    stmt = (select(ContactRecord.call_date.label("day"), func.count().label("records"))
            .where(_records_in(scope)).group_by(ContactRecord.call_date))
    return [dict(row._mapping) for row in db.execute(stmt)]
