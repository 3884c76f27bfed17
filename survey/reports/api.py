"""`/api/reports/...`: the report as JSON or CSV, for planners (and admins)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TypeVar

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from accounts.auth import api_error, api_role_required
from config.api_schema import describes, field_errors
from config.clock import now
from config.database import db_session
from config.extensions import deployment, local_zone
from survey.reports.build import full_report
from survey.reports.export import to_csv
from survey.reports.period import Period

bp = Blueprint("survey_reports", __name__, url_prefix="/api/reports")
MAX_DAYS = 3 * 366
Q = TypeVar("Q", bound=BaseModel)


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # beyond these no call was or will be


class PeriodQuery(BaseModel):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (whole local days, inclusive), by default the last 30 days."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    start: date | None = Field(None, alias="from", ge=FIRST_DAY, le=LAST_DAY)
    end: date | None = Field(None, alias="to", ge=FIRST_DAY, le=LAST_DAY)

    @field_validator("end")
    @classmethod
    def _span(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if end is not None and start is not None:
            if end < start:
                raise ValueError("the period ends before it starts")
            if (end - start).days > MAX_DAYS:
                raise ValueError(f"the period may not exceed {MAX_DAYS} days")
        return end

    def period(self, today: date) -> Period:
        end = self.end or max(today, self.start or today)
        start = self.start or end - timedelta(days=29)
        if (end - start).days > MAX_DAYS:
            raise ValueError(f"from: the period may not exceed {MAX_DAYS} days")
        return Period(start, end, deployment().timezone)


def checked(model: type[Q], args: Mapping[str, str]) -> Q:
    """The query string through `model`; ValueError "field: reason" naming the first bad one."""
    try:
        return model.model_validate({k: v for k, v in args.items() if str(v).strip()})
    except ValidationError as err:
        field, reason = next(iter(field_errors(err).items()))
        raise ValueError(f"{field}: {reason}") from None


def period_from_args(args: Mapping[str, str], today: date) -> Period:
    """The period a query string asks for; ValueError naming the bad parameter."""
    return checked(PeriodQuery, args).period(today)


def today() -> date:
    return now().astimezone(local_zone()).date()


@bp.get("/summary")
@api_role_required("planner")
@describes(query=PeriodQuery)
def summary() -> object:
    """The published figures and call figures for a period, as JSON."""
    try:
        period = period_from_args(request.args, today())
    except ValueError as err:
        return api_error(400, str(err))
    return jsonify(full_report(db_session(), period))


@bp.get("/summary.csv")
@api_role_required("planner")
@describes(query=PeriodQuery)
def summary_csv() -> object:
    """The same report as CSV."""
    try:
        period = period_from_args(request.args, today())
    except ValueError as err:
        return api_error(400, str(err))
    body = to_csv(full_report(db_session(), period))
    name = f"211-report-{period.start}-{period.end}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
