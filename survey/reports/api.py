"""`/api/reports/...`: the report as JSON or CSV, for planners (and admins)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from flask import Blueprint, Response, jsonify, request

from accounts.auth import api_error, api_role_required
from config.clock import now
from config.database import db_session
from config.extensions import deployment, local_zone
from survey.reports.build import full_report
from survey.reports.export import to_csv
from survey.reports.period import Period

bp = Blueprint("survey_reports", __name__, url_prefix="/api/reports")
MAX_DAYS = 3 * 366


def period_from_args(args: Mapping[str, str], today: date) -> Period:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, by default the last 30 days; ValueError if bad."""
    end = date.fromisoformat(args["to"]) if args.get("to") else today
    start = date.fromisoformat(args["from"]) if args.get("from") else end - timedelta(days=29)
    if (end - start).days > MAX_DAYS:
        raise ValueError(f"the period may not exceed {MAX_DAYS} days")
    return Period(start, end, deployment().timezone)


def today() -> date:
    return now().astimezone(local_zone()).date()


@bp.get("/summary")
@api_role_required("planner")
def summary() -> object:
    try:
        period = period_from_args(request.args, today())
    except ValueError as err:
        return api_error(400, str(err))
    return jsonify(full_report(db_session(), period))


@bp.get("/summary.csv")
@api_role_required("planner")
def summary_csv() -> object:
    try:
        period = period_from_args(request.args, today())
    except ValueError as err:
        return api_error(400, str(err))
    body = to_csv(full_report(db_session(), period))
    name = f"211-report-{period.start}-{period.end}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
