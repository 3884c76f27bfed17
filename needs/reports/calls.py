"""The calls section of the needs report: crisis calls, hold time, interpreters, transfers.

What the call controls record (`ivr.call_extras`), counted over the calls that began in the
period (the deployment's days, `Period.start_utc`..`end_utc`), for one region (the call's)
or one FSA (of the call's contact record) when the report is filtered. Interpreter sessions
and transfers are joined to their call for its date and region. Each figure is one small
GROUP BY; Python only adds the groups up.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session

from ivr.models import CRISIS_VIA, TRANSFER_OUTCOMES, CallRecord, CallTransfer, InterpreterSession
from needs.models import ContactRecord
from needs.reports.queries import Scope
from survey.reports.rollup import UNKNOWN

PENDING = "pending"  # a transfer whose outcome is not known (yet)


def _calls_in(scope: Scope) -> ColumnElement[bool]:
    terms = [CallRecord.started_at >= scope.period.start_utc,
             CallRecord.started_at < scope.period.end_utc]
    if scope.region:
        terms.append(CallRecord.region == scope.region)
    if scope.fsa:
        terms.append(CallRecord.call_sid.in_(
            select(ContactRecord.call_sid).where(ContactRecord.fsa == scope.fsa)))
    return and_(*terms)


def _rows(db: Session, stmt: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.execute(stmt)]


def calls_by_region(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per region and crisis route: calls, answered calls, crisis calls and hold seconds."""
    keys = (CallRecord.region, CallRecord.crisis_via)
    answered = func.count(CallRecord.answered_at)
    crisis = func.sum(case((CallRecord.crisis == true(), 1), else_=0))
    return _rows(db, select(*keys, func.count().label("calls"), answered.label("answered"),
                            crisis.label("crisis"),
                            func.coalesce(func.sum(CallRecord.hold_seconds), 0).label("hold"))
                 .where(_calls_in(scope)).group_by(*keys))


def interpreters(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per region, language and vendor: sessions and the minutes of those that ended."""
    keys = (CallRecord.region, InterpreterSession.language, InterpreterSession.vendor)
    return _rows(db, select(*keys, func.count().label("sessions"),
                            func.coalesce(func.sum(InterpreterSession.minutes), 0).label("minutes"))
                 .join(CallRecord, CallRecord.call_sid == InterpreterSession.call_sid)
                 .where(_calls_in(scope)).group_by(*keys))


def transfers(db: Session, scope: Scope) -> list[dict[str, Any]]:
    keys = (CallRecord.region, CallTransfer.kind, CallTransfer.target_kind, CallTransfer.target,
            CallTransfer.outcome)
    return _rows(db, select(*keys, func.count().label("transfers"))
                 .join(CallRecord, CallRecord.call_sid == CallTransfer.call_sid)
                 .where(_calls_in(scope)).group_by(*keys))


def _mean(total: float, n: int) -> float | None:
    return round(total / n, 1) if n else None


def _regions(calls: list[dict[str, Any]], minutes: list[dict[str, Any]],
             moved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    regions: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "calls": 0, "answered": 0, "crisis": 0, "hold_seconds": 0, "interpreter_sessions": 0,
        "interpreter_minutes": 0.0, "transfers": 0})
    for row in calls:
        region = regions[row["region"] or UNKNOWN]
        for name, value in (("calls", row["calls"]), ("answered", row["answered"]),
                            ("crisis", row["crisis"] or 0), ("hold_seconds", row["hold"])):
            region[name] += int(value)
    for row in minutes:
        region = regions[row["region"] or UNKNOWN]
        region["interpreter_sessions"] += row["sessions"]
        region["interpreter_minutes"] += float(row["minutes"])
    for row in moved:
        regions[row["region"] or UNKNOWN]["transfers"] += row["transfers"]
    return [{"region": key, **r, "interpreter_minutes": round(r["interpreter_minutes"], 1),
             "mean_hold_s": _mean(r["hold_seconds"], r["answered"])}
            for key, r in sorted(regions.items())]


def _by_language(minutes: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    languages: dict[str, dict[str, Any]] = defaultdict(lambda: {"sessions": 0, "minutes": 0.0})
    vendors: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"sessions": 0, "minutes": 0.0})
    for row in minutes:
        for entry in (languages[row["language"]], vendors[(row["language"], row["vendor"])]):
            entry["sessions"] += row["sessions"]
            entry["minutes"] += float(row["minutes"])
    return [{"language": code, "name": names.get(code, code), "sessions": lang["sessions"],
             "minutes": round(lang["minutes"], 1),
             "by_vendor": {vendor: {"sessions": v["sessions"], "minutes": round(v["minutes"], 1)}
                           for (language, vendor), v in sorted(vendors.items())
                           if language == code}}
            for code, lang in sorted(languages.items())]


def _transfers(moved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys((*TRANSFER_OUTCOMES, PENDING), 0))
    for row in moved:
        outcomes = groups[(row["kind"], row["target_kind"], row["target"])]
        outcomes[row["outcome"] if row["outcome"] in outcomes else PENDING] += row["transfers"]
    return [{"kind": kind, "target_kind": target_kind, "target": target,
             "transfers": sum(outcomes.values()), "outcomes": outcomes}
            for (kind, target_kind, target), outcomes in sorted(groups.items())]


def calls_section(db: Session, scope: Scope, language_names: dict[str, str]) -> dict[str, Any]:
    """The report's `calls` section; `language_names`: interpreter language code -> name."""
    calls = calls_by_region(db, scope)
    minutes = interpreters(db, scope)
    moved = transfers(db, scope)
    answered = sum(int(r["answered"]) for r in calls)
    hold = sum(int(r["hold"]) for r in calls)
    by_via = dict.fromkeys(CRISIS_VIA, 0)
    for row in calls:
        if row["crisis_via"] in by_via:
            by_via[row["crisis_via"]] += int(row["crisis"] or 0)
    return {
        "totals": {"calls": sum(int(r["calls"]) for r in calls), "answered": answered,
                   "crisis": sum(int(r["crisis"] or 0) for r in calls),
                   "hold_seconds": hold, "mean_hold_s": _mean(hold, answered),
                   "interpreter_sessions": sum(r["sessions"] for r in minutes),
                   "interpreter_minutes": round(sum(float(r["minutes"]) for r in minutes), 1),
                   "transfers": sum(r["transfers"] for r in moved)},
        "crisis_by_via": by_via,
        "interpreters_by_language": _by_language(minutes, language_names),
        "transfers": _transfers(moved),
        "by_region": _regions(calls, minutes, moved),
    }
