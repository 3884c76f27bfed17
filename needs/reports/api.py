"""`/api/reports/needs...`: needs and gaps for planners (JSON, CSV) and as open data.

Query: `from`, `to` (YYYY-MM-DD, default the last 30 days), `region`, `fsa`. The open-data
variants withhold small cells (`OPEN_DATA_MIN_CELL`, default 5), for sharing outside.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import Field, field_validator

from accounts.auth import api_error, api_role_required
from config.api_schema import describes
from config.database import db_session
from config.extensions import deployment, settings
from needs.reports.build import needs_report
from needs.reports.open_data import open_data, to_csv
from needs.reports.queries import Scope
from needs.schema import FSA
from survey.reports.api import PeriodQuery, checked, today

bp = Blueprint("needs_reports", __name__, url_prefix="/api/reports")


class NeedsQuery(PeriodQuery):
    """The period, and optionally one region (of the live deployment) or one FSA."""

    region: str | None = Field(None, max_length=40)
    fsa: str | None = Field(None, max_length=3, description="a letter, a digit and a letter, e.g. K1A")

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        regions = deployment().regions
        if value and value.strip() not in regions:
            raise ValueError(f"unknown region {value!r}; one of {sorted(regions)}")
        return value.strip() if value else None

    @field_validator("fsa")
    @classmethod
    def _fsa(cls, value: str | None) -> str | None:
        fsa = (value or "").strip().upper() or None
        if fsa and not FSA.match(fsa):
            raise ValueError("an FSA is a letter, a digit and a letter, e.g. K1A")
        return fsa


def scope_from_args(args: Mapping[str, str]) -> Scope:
    """The report's scope from a query string; ValueError naming the bad parameter."""
    query = checked(NeedsQuery, args)
    return Scope(query.period(today()), query.region, query.fsa)


def _report(public: bool, as_csv: bool) -> Any:
    """The report for the query string's scope, as JSON or CSV; 400 naming a bad parameter."""
    try:
        scope = scope_from_args(request.args)
    except ValueError as err:
        return api_error(400, str(err))
    report = needs_report(db_session(), scope)
    if public:
        report = open_data(report, settings().open_data_min_cell)
    if not as_csv:
        return jsonify(report)
    name = "needs-open-data" if public else "needs"
    filename = f"211-{name}-{scope.period.start}-{scope.period.end}.csv"
    return Response(to_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/needs")
@api_role_required("planner")
@describes(query=NeedsQuery)
def needs_json() -> Any:
    return _report(public=False, as_csv=False)


@bp.get("/needs.csv")
@api_role_required("planner")
@describes(query=NeedsQuery)
def needs_csv() -> Any:
    return _report(public=False, as_csv=True)


@bp.get("/needs/open-data.json")
@api_role_required("planner")
@describes(query=NeedsQuery)
def open_json() -> Any:
    return _report(public=True, as_csv=False)


@bp.get("/needs/open-data.csv")
@api_role_required("planner")
@describes(query=NeedsQuery)
def open_csv() -> Any:
    return _report(public=True, as_csv=True)
