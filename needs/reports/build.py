"""The needs-and-gaps report as one plain dict: what the JSON API, CSV, CLI and dashboard show.

Counts are of needs (a call with two food needs adds two under BD) unless named `records`.
The taxonomy roll-up adds each coded need to its term and to every term above it, so
`BD` counts everything coded under BD-1800, BD-1800.2000 and so on.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from config.extensions import deployment
from needs.models import CALL_TYPES, UNMET_REASONS
from needs.reports import queries
from needs.reports.calls import calls_section
from needs.reports.queries import Scope
from needs.taxonomy import Taxonomy, ancestors, load_taxonomy, parent
from survey.reports.queries import tune_for_reports
from survey.reports.rollup import UNKNOWN

TOP_GAPS = 5


def _outcome(row: dict[str, Any]) -> str:
    return "met" if row["met"] else "unmet"


def needs_tree(cube: list[dict[str, Any]], taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Every term with needs at or below it: needs, met, unmet and unmet by reason."""
    totals: dict[str, dict[str, Any]] = {}
    for row in cube:
        for code in ancestors(row["code"]):
            node = totals.setdefault(code, {"needs": 0, "met": 0, "unmet": 0, "coded_here": 0,
                                            "reasons": dict.fromkeys(UNMET_REASONS, 0)})
            node["needs"] += row["needs"]
            node[_outcome(row)] += row["needs"]
            if not row["met"] and row["reason"] in node["reasons"]:
                node["reasons"][row["reason"]] += row["needs"]
            if code == row["code"]:
                node["coded_here"] += row["needs"]
    return [{"code": code, "name": taxonomy.name(code), "level": len(ancestors(code)),
             "parent": parent(code), **totals[code]} for code in sorted(totals)]


def gaps_by_reason(cube: list[dict[str, Any]]) -> dict[str, int]:
    reasons = dict.fromkeys(UNMET_REASONS, 0)
    for row in cube:
        if not row["met"] and row["reason"] in reasons:
            reasons[row["reason"]] += row["needs"]
    return reasons


def monthly(months_cube: list[dict[str, Any]], days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"records": 0, "needs": 0, "met": 0,
                                                            "unmet": 0})
    for row in months_cube:
        months[row["month"]]["needs"] += row["needs"]
        months[row["month"]][_outcome(row)] += row["needs"]
    for row in days:
        months[row["day"].strftime("%Y-%m")]["records"] += row["records"]
    return [{"month": m, **counts} for m, counts in sorted(months.items())]


def top_gaps(unmet: list[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Per region, the TOP_GAPS coded terms with the most unmet needs (ties by code)."""
    regions: dict[str, list[tuple[str, int]]] = {}
    for row in sorted(unmet, key=lambda r: (-r["needs"], r["region"] or UNKNOWN, r["code"])):
        listed = regions.setdefault(row["region"] or UNKNOWN, [])
        if len(listed) < TOP_GAPS:
            listed.append((row["code"], row["needs"]))
    return dict(sorted(regions.items()))


def top_gaps_by_region(top: dict[str, list[tuple[str, int]]], reasons: list[dict[str, Any]],
                       taxonomy: Taxonomy) -> dict[str, list[dict[str, Any]]]:
    why: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(UNMET_REASONS, 0))
    for row in reasons:
        if row["reason"] in UNMET_REASONS:
            why[(row["region"] or UNKNOWN, row["code"])][row["reason"]] += row["needs"]
    return {region: [{"code": code, "name": taxonomy.name(code), "unmet": n,
                      "reasons": why[(region, code)]} for code, n in gaps]
            for region, gaps in top.items()}


def by_region(needs: list[dict[str, Any]], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    regions: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "records": 0, "needs": 0, "met": 0, "unmet": 0, "wrap_sum": 0, "wrap_n": 0,
        "call_types": dict.fromkeys(CALL_TYPES, 0)})
    for row in needs:
        region = regions[row["region"] or UNKNOWN]
        region["needs"] += row["needs"]
        region[_outcome(row)] += row["needs"]
    for row in records:
        region = regions[row["region"] or UNKNOWN]
        region["records"] += row["records"]
        region["wrap_sum"] += int(row["wrap_sum"] or 0)
        region["wrap_n"] += row["wrap_n"]
        if row["call_type"] in region["call_types"]:
            region["call_types"][row["call_type"]] += row["records"]
    out = []
    for key, r in sorted(regions.items()):
        wrap_sum, wrap_n = r.pop("wrap_sum"), r.pop("wrap_n")
        out.append({"region": key, **r,
                    "avg_wrap_up_s": round(wrap_sum / wrap_n, 1) if wrap_n else None})
    return out


def by_fsa(cube: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fsas: dict[str, dict[str, Any]] = {}
    for row in cube:
        fsa = fsas.setdefault(row["fsa"] or UNKNOWN, {"region": row["region"], "needs": 0,
                                                       "met": 0, "unmet": 0})
        fsa["needs"] += row["needs"]
        fsa[_outcome(row)] += row["needs"]
    return [{"fsa": key, **counts} for key, counts in sorted(fsas.items())]


def needs_report(db: Session, scope: Scope) -> dict[str, Any]:
    tune_for_reports(db)
    codes = queries.by_code(db, scope)
    records = queries.records_by_region(db, scope)
    top = top_gaps(queries.unmet_by_region_code(db, scope))
    reasons = queries.reasons_for(db, scope, {code for gaps in top.values() for code, _ in gaps})
    taxonomy = load_taxonomy(db)
    return {
        "period": {"from": scope.period.start.isoformat(), "to": scope.period.end.isoformat()},
        "filters": {"region": scope.region, "fsa": scope.fsa},
        "totals": {"records": sum(r["records"] for r in records),
                   "needs": sum(r["needs"] for r in codes),
                   "unmet": sum(r["needs"] for r in codes if not r["met"])},
        "needs_by_taxonomy": needs_tree(codes, taxonomy),
        "gaps_by_reason": gaps_by_reason(codes),
        "monthly": monthly(queries.by_month(db, scope), queries.records_by_day(db, scope)),
        "top_gaps_by_region": top_gaps_by_region(top, reasons, taxonomy),
        "by_region": by_region(queries.by_region(db, scope), records),
        "by_fsa": by_fsa(queries.fsa_cube(db, scope)),
        "calls": calls_section(db, scope, {lang.code: lang.name_en
                                           for lang in deployment().interpreter_languages}),
        "reasons": UNMET_REASONS,
        "notes": {"counts": "needs on completed contact records, by the call's date "
                            "(a record with two needs counts twice); 'records' counts calls",
                  "roll_up": "each term counts the needs coded at it and at every term below it",
                  "calls": "calls that began in the period (region: the call's; FSA: its contact "
                           "record's): crisis calls, hold time (mean per answered call), "
                           "interpreter minutes and transfers with their outcomes"},
    }
