"""The planners' page: the five figures with their intervals, and the call figures, as charts.

Charts are inline SVG drawn by the template (no scripts, no CDN: the machines are offline).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from accounts.auth import page_role_required
from config.database import db_session
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
def dashboard() -> str:
    error = None
    try:
        period = period_from_args(request.args, today())
    except ValueError as err:
        error = str(err)
        period = period_from_args({}, today())
    report = full_report(db_session(), period)
    return render_template("survey/dashboard.html", report=report, figures=FIGURES,
                           labels=LABELS, error=error)
