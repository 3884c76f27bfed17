"""The routing admin pages: draft, validate, publish, roll back, closure days, test a call,
bulletins and the audit log. Server-rendered, admin role only, every form with a CSRF token.

Providers, regions, schedules and rules have field-by-field forms in `routing.web.draft_pages`
(nested here as `routing_admin.edit.*`); the JSON editor below stays as the advanced option.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from accounts.auth import page_role_required
from accounts.models import ADMIN, User
from config.clock import now
from config.database import commit, db_session
from config.extensions import deployment, local_zone, store
from config.ontario import data_files
from routing.engine.explain import explain_call
from routing.engine.validation import validate
from routing.service import live_figures
from routing.store import audit, bulletin_writes
from routing.store.bulletins import bulletins_changed
from routing.store.models import Bulletin
from routing.store.versions import (
    discard_draft,
    draft_document,
    latest_version,
    list_versions,
    publish,
    rollback,
    rules_changed,
    rules_document,
    save_draft,
)
from routing.web import disaster_pages, draft_pages
from routing.web.api import SECTIONS, doc_providers
from routing.web.audit_view import shown
from routing.web.confirm import unconfirmed
from routing.web.draft_forms import DraftChoices, with_current
from routing.web.forms import BulletinForm, ClosureForm, JsonForm, NoteForm, TestCallForm
from routing.web.naming import Names
from routing.web.refusals import REFUSED, answer_as_pages, refusal

bp = Blueprint("routing_admin", __name__, url_prefix="/admin/routing", template_folder="templates")
bp.register_blueprint(draft_pages.bp)  # the form editors: routing_admin.edit.*
bp.register_blueprint(disaster_pages.bp)  # disaster mode on and off: routing_admin.disaster.*
answer_as_pages(bp)
bp.add_app_template_filter(shown, "audit_change")


def people() -> dict[str, str]:
    """Staff names by email: the audit and versions record who by email, pages show the name."""
    return {email: name or email for email, name in db_session().execute(
        select(User.email, User.name))}


def draft_names() -> Names:
    doc, _base = draft_document(db_session())
    return Names.of(doc)


def _zone() -> Any:
    return local_zone()


def actor() -> str:
    from flask_login import current_user

    return str(current_user.email)


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@bp.get("/")
@page_role_required(ADMIN)
def overview() -> str:
    db = db_session()
    doc, base = draft_document(db)
    return render_template(
        "routing/overview.html", doc=doc, base=base, report=validate(doc, data_files()),
        versions=list_versions(db), latest=latest_version(db), note_form=NoteForm(),
        sections=SECTIONS, people=people(),
    )


@bp.route("/draft", methods=["GET", "POST"])
@page_role_required(ADMIN)
def edit_draft() -> str | Response:
    return _edit_json(None)


@bp.route("/draft/<section>", methods=["GET", "POST"])
@page_role_required(ADMIN)
def edit_section(section: str) -> str | Response:
    if section not in SECTIONS:
        abort(404)
    return _edit_json(section)


def _edit_json(section: str | None) -> str | Response:
    db = db_session()
    doc, _base = draft_document(db)
    form = JsonForm()
    if form.validate_on_submit():
        value = json.loads(form.document.data)
        if section is None and not isinstance(value, dict):
            form.document.errors = ["the rule set must be a JSON object"]
        else:
            new_doc = value if section is None else {**doc, section: value}
            save_draft(db, new_doc, actor(), now(), action=f"draft.{section or 'save'}")
            commit(db)
            flash("Draft saved.")
            return redirect(url_for(".overview"))
    elif not form.is_submitted():
        form.document.data = pretty(doc if section is None else doc.get(section))
    return render_template("routing/edit.html", form=form, section=section,
                           report=validate(doc, data_files())), 400 if form.errors else 200  # type: ignore[return-value]


@bp.post("/publish")
@page_role_required(ADMIN)
def publish_draft() -> Response:
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    version = publish(db, data_files(), actor(), now(), form.note.data or "")  # refused: 422 page
    commit(db)
    rules_changed(store())
    flash(f"Published version {version.number}.")
    return redirect(url_for(".overview"))


@bp.post("/discard")
@page_role_required(ADMIN)
def discard() -> Response:
    if not NoteForm().validate_on_submit():
        abort(400)
    asked = unconfirmed("Discard the draft?", "Every change not yet published is lost: the draft "
                        "starts again from the live version. The audit log keeps what it was.",
                        "Discard the draft", url_for(".overview"))
    if asked:
        return asked
    db = db_session()
    discard_draft(db, actor(), now())
    commit(db)
    flash("Draft discarded.")
    return redirect(url_for(".overview"))


@bp.post("/versions/<int:number>/rollback")
@page_role_required(ADMIN)
def rollback_version(number: int) -> Response:
    if not NoteForm().validate_on_submit():
        abort(400)
    db = db_session()
    version = rollback(db, data_files(), number, actor(), now())  # refused: a 404 or 422 page
    commit(db)
    rules_changed(store())
    flash(f"Rolled back: version {version.number} is a copy of version {number}.")
    return redirect(url_for(".overview"))


@bp.get("/versions/<int:number>")
@page_role_required(ADMIN)
def show_version(number: int) -> str:
    from routing.store.versions import get_version

    version = get_version(db_session(), number)
    if version is None:
        abort(404)
    return render_template("routing/version.html", version=version, text=pretty(version.document),
                           note_form=NoteForm(), people=people())


@bp.route("/closures", methods=["GET", "POST"])
@page_role_required(ADMIN)
def closures() -> str | Response:
    db = db_session()
    doc, _base = draft_document(db)
    form = ClosureForm()
    if form.validate_on_submit():
        regions = [r.strip() for r in (form.regions.data or "").split(",") if r.strip()]
        doc["closures"] = [*(doc.get("closures") or []), {
            "date": form.day.data.isoformat(), "name": form.name.data, "regions": regions}]
        save_draft(db, doc, actor(), now(), action="draft.closures")
        commit(db)
        flash("Closure day added to the draft; publish to make it live.")
        return redirect(url_for(".closures"))
    return render_template("routing/closures.html", form=form, closures=doc.get("closures") or [],
                           delete_form=NoteForm(), names=Names.of(doc))


@bp.post("/closures/<int:index>/delete")
@page_role_required(ADMIN)
def delete_closure(index: int) -> Response:
    if not NoteForm().validate_on_submit():
        abort(400)
    db = db_session()
    doc, _base = draft_document(db)
    items = list(doc.get("closures") or [])
    if not 0 <= index < len(items):
        abort(404)
    asked = unconfirmed(f"Remove the closure day {items[index].get('date')} "
                        f"({items[index].get('name')}) from the draft?",
                        "Those regions follow their regular hours that day once you publish.",
                        "Remove the closure day", url_for(".closures"))
    if asked:
        return asked
    del items[index]
    doc["closures"] = items
    save_draft(db, doc, actor(), now(), action="draft.closures")
    commit(db)
    return redirect(url_for(".closures"))


@bp.route("/test", methods=["GET", "POST"])
@page_role_required(ADMIN)
def test_call() -> str:
    form = TestCallForm()
    _offer_choices(form)
    result, error, status, names = None, None, 200, None
    if form.validate_on_submit():
        try:
            doc, number, label = rules_document(db_session(), form.rules.data or "draft")
            names = Names.of(doc)
            at = form.at.data
            when = at.replace(tzinfo=_zone()) if at else now()
            result = explain_call(
                doc, data_files(), caller=form.caller.data or None, at=when,
                language=form.language.data, need=form.need.data or None,
                region=form.region.data or None, interpreter=form.interpreter.data or None,
                figures=live_figures(frozenset(doc_providers(doc))), version=number, label=label,
                disaster=disaster_pages.mode_to_test(form.disaster.data or "now"))
        except REFUSED as exc:  # beside its field when it has one, else above the form
            answer = refusal(exc)
            status = answer.status
            field = getattr(exc, "field", None)
            if field in form:
                form[field].errors = [str(exc)]
            else:
                error = answer.reason
    elif form.errors:
        status = 400
    return render_template("routing/test.html", form=form, result=result,  # type: ignore[return-value]
                           result_json=pretty(result) if result else "", error=error,
                           names=names), status


def _offer_choices(form: TestCallForm) -> None:
    """The draft's regions, languages, needs and interpreter languages, by name; a posted value
    the draft lacks stays selected, marked unknown, with the field's error beside it."""
    doc, _base = draft_document(db_session())
    choices = DraftChoices.of(doc, data_files())
    language_names = {"en": "English", "fr": "French"}
    form.offer(
        regions=with_current(list(Names.of(doc).regions.items()), form.region.data),
        languages=with_current([(code, language_names.get(code, code)) for code, _ in choices.languages],
                               form.language.data),
        needs=with_current([(need, need.replace("_", " ").capitalize()) for need, _ in choices.needs],
                           form.need.data),
        interpreters=with_current(choices.interpreters, form.interpreter.data))


@bp.get("/audit")
@page_role_required(ADMIN)
def audit_log() -> str:
    return render_template("routing/audit.html", entries=audit.recent(db_session(), 200),
                           people=people(), zone=deployment().timezone)


@bp.route("/bulletins", methods=["GET", "POST"])
@page_role_required(ADMIN)
def bulletins() -> str | Response:
    db = db_session()
    form = BulletinForm()
    error, status = None, 200
    if form.validate_on_submit():
        dep = deployment()
        data = {name: getattr(form, name).data for name in bulletin_writes.FIELDS}
        try:
            fields = bulletin_writes.clean(data, set(dep.regions), dep.timezone)
        except REFUSED as exc:  # shown beside the form, with the answer the API would give
            answer = refusal(exc)
            error, status = answer.reason, answer.status
        else:
            bulletin_writes.save(db, actor(), now(), fields)
            commit(db)
            bulletins_changed(store())
            flash("Bulletin saved: it plays on the next matching call.")
            return redirect(url_for(".bulletins"))
    return render_template("routing/bulletins.html", form=form, error=error,  # type: ignore[return-value]
                           bulletins=bulletin_writes.all_bulletins(db), delete_form=NoteForm(),
                           names=draft_names()), status


@bp.post("/bulletins/<int:bulletin_id>/delete")
@page_role_required(ADMIN)
def delete_bulletin(bulletin_id: int) -> Response:
    if not NoteForm().validate_on_submit():
        abort(400)
    db = db_session()
    bulletin = db.get(Bulletin, bulletin_id)
    if bulletin is None:
        abort(404)
    asked = unconfirmed(f"Delete the bulletin '{bulletin.title}'?",
                        "It stops playing on the next call, everywhere (bulletins are live at once, "
                        "not drafts). The audit log keeps what it said.",
                        "Delete the bulletin", url_for(".bulletins"))
    if asked:
        return asked
    bulletin_writes.delete(db, actor(), now(), bulletin)
    commit(db)
    bulletins_changed(store())
    return redirect(url_for(".bulletins"))
