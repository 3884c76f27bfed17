"""Staff pages: the specialist's follow-ups due and the supervisor's calls without a finished record.

Each row links to the lookup page with `?call=<CallSid>`, which opens that call's contact
record to finish it.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from accounts.auth import page_role_required
from config.clock import now
from config.database import db_session
from config.extensions import local_zone
from needs import worklists

bp = Blueprint("needs_pages", __name__, url_prefix="/contacts", template_folder="templates",
               static_folder="static", static_url_path="/static")


@bp.get("/follow-ups")
@page_role_required("specialist")
def follow_ups() -> str:
    today = now().astimezone(local_zone()).date()
    rows = worklists.follow_ups(db_session(), current_user, today)  # type: ignore[arg-type]
    return render_template("needs/follow_ups.html", rows=rows)


@bp.get("/incomplete")
@page_role_required("supervisor")
def incomplete() -> str:
    raw = request.args.get("days", "30")
    days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 366 else 30
    return render_template("needs/incomplete.html", rows=worklists.incomplete(db_session(), now(), days),
                           days=days)
