"""The planners' page: the five figures with their intervals, and the call figures, as charts.

Charts are inline SVG drawn by the template (no scripts, no CDN: the machines are offline).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from accounts.auth import page_role_required
from config.database import db_session
from config.extensions import deployment
from survey.reports.api import period_from_args, today
from survey.reports.build import FIGURES, full_report

bp = Blueprint("survey_dashboard", __name__, url_prefix="/survey/reports",
               template_folder="templates")

LABELS = {
    "very_satisfied": "Very satisfied", "would_call_again": "Would call again",
    "followed_up": "Followed up on referrals", "better_prepared": "Feel better prepared",
    "health_improved": "Health or situation improved",
}


@bp.get("/")
@page_role_required("planner")
def dashboard() -> str | tuple[str, int]:
    """The report for the period asked; a period that cannot be read (from after to, a bad
    date) answers the form with the reason and no figures: the default period's figures under
    the error would be read as the answer to the question asked."""
    regions = {r.id: r.name_en for r in deployment().regions.values()}
    try:
        period = period_from_args(request.args, today())
    except ValueError as err:
        asked = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
        return render_template("survey/dashboard.html", report=None, error=str(err), asked=asked,
                               figures=FIGURES, labels=LABELS, regions=regions), 400
    report = full_report(db_session(), period)
    asked = {"from": report["period"]["from"], "to": report["period"]["to"]}
    return render_template("survey/dashboard.html", report=report, figures=FIGURES, asked=asked,
                           labels=LABELS, error=None, regions=regions, empty=is_empty(report))


def is_empty(report: dict[str, Any]) -> bool:
    """No call and no survey answer in the period: there is nothing to chart."""
    overall = report["breakdowns"]["overall"][0]
    return not overall["calls"]["calls"] and not any(
        overall["figures"][f]["answered"] for f in FIGURES)
