"""The specialist's lookup page (search, filters, a service's details, screen pop, referrals)
and the admins' search feedback page (the searches that failed specialists, counted)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from accounts.auth import page_role_required
from config import database
from config.extensions import deployment, store
from directory import feedback
from ivr import screen_pop

bp = Blueprint("directory_views", __name__, url_prefix="/directory",
               template_folder="templates", static_folder="static",
               static_url_path="/static")


def _languages() -> list[tuple[str, str]]:
    langs = [("en", "English"), ("fr", "French")]
    langs += [(lang.code, lang.name_en) for lang in deployment().interpreter_languages]
    return langs


@bp.get("/lookup")
@page_role_required("specialist")
def lookup() -> str:
    specialist_id = current_user.specialist_id
    seen = 0
    if specialist_id is not None:
        # Replay the latest call, so a reload mid-call keeps its context.
        seen = max(0, len(screen_pop.events_since(store(), specialist_id, 0)) - 1)
    regions = [(r.id, r.name_en) for r in deployment().regions.values()]
    return render_template("directory/lookup.html", regions=regions, languages=_languages(),
                           seen=seen, linked=specialist_id is not None)


@bp.get("/admin/search-feedback")
@page_role_required("admin")
def search_feedback() -> str:
    """What the directory's vocabulary misses: searches that found nothing and results marked
    as not what was needed, with how often and when last."""
    return render_template("directory/search_feedback.html",
                           rows=feedback.listing(database.db_session()))
