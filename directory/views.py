"""The specialist's lookup page (search, filters, a service's details, screen pop, referrals)
and the admins' search feedback page (the searches that failed specialists, counted)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import Length

from accounts.auth import page_role_required
from config import database
from config.call_lines import CRISIS_LINE
from config.clock import now
from config.extensions import deployment, store
from directory import feedback, synonyms, version
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
                           seen=seen, linked=specialist_id is not None, controls=_controls())


def _controls() -> dict[str, list[tuple[str, str]]]:
    """The call controls' choices: interpreter languages (never English or French: those
    callers are answered in their language), the providers' queues and the configured lines
    (the crisis line has its own button)."""
    dep = deployment()
    return {"languages": [(lang.code, lang.name_en) for lang in dep.interpreter_languages
                          if lang.code not in ("en", "fr")],
            "providers": [(pid, p.name) for pid, p in sorted(dep.providers.items())],
            "lines": [(line.id, line.name_en) for line in dep.call_lines.lines.values()
                      if line.id != CRISIS_LINE]}


class SynonymsForm(FlaskForm):
    """The admins' synonyms, one entry a line (`directory.synonyms`)."""

    text = TextAreaField("Synonyms", validators=[Length(max=synonyms.MAX_LINES * synonyms.MAX_LINE)])


@bp.get("/admin/search-feedback")
@page_role_required("admin")
def search_feedback() -> str:
    """What the directory's vocabulary misses: searches that found nothing and results marked
    as not what was needed, with how often and when last; and the synonyms that fix it."""
    db = database.db_session()
    form = SynonymsForm()
    current = synonyms.latest(db)
    form.text.data = synonyms.to_text(current.entries if current else [])
    return _feedback_page(form, [])


def _feedback_page(form: SynonymsForm, errors: list[str]) -> str:
    db = database.db_session()
    return render_template("directory/search_feedback.html", rows=feedback.listing(db),
                           form=form, errors=errors, versions=synonyms.history(db))


@bp.post("/admin/synonyms")
@page_role_required("admin")
def save_synonyms() -> Response | tuple[str, int]:
    """Validate and save the synonyms as a new version; every worker's index follows (the
    directory version moves, the indexes rebuild in the background, no restart)."""
    form = SynonymsForm()
    if not form.validate_on_submit():
        return _feedback_page(form, [e for errs in form.errors.values() for e in errs]), 400
    db = database.db_session()
    parsed = synonyms.parse(form.text.data or "", synonyms.known_codes(db))
    if parsed.errors:
        return _feedback_page(form, parsed.errors), 422
    try:
        saved = synonyms.save(db, parsed.entries, str(current_user.email), now())
        database.commit(db)
    except IntegrityError:  # another admin saved the same version number first
        db.rollback()
        return _feedback_page(form, ["another admin saved meanwhile: review and save again"]), 409
    version.bump(store())
    flash(f"Synonyms version {saved.number} saved ({saved.summary}); searches use it as soon "
          "as each worker's index has rebuilt in the background.")
    return redirect(url_for(".search_feedback"))
