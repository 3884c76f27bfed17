"""The draft's form editors: providers, regions, schedules and rules, one item per form.

A blueprint nested in the routing admin pages (endpoints `routing_admin.edit.*`), admins only,
every POST with a CSRF token. Every save goes through `save_draft`, so it is audited with a
diff exactly like a JSON edit, and lands on the section's list with the draft check. A form
with problems is shown again as typed, each problem by its field, and the draft is untouched.
The JSON editor (`/admin/routing/draft`) stays for whatever the forms do not cover.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectField

from accounts.auth import page_role_required
from accounts.models import ADMIN
from config.clock import now
from config.database import commit, db_session
from config.ontario import data_files
from routing.engine.draft_checks import overflow_cycle_through, rule_problems
from routing.engine.draft_edit import (
    as_dict,
    data_file_places,
    describe_then,
    describe_when,
    find_item,
    id_problem,
    item_ids,
    items,
    move_rule,
    provider_references,
    put_item,
    refused_because,
    region_geography,
    region_references,
    remove_item,
    schedule_references,
    set_region_geography,
)
from routing.engine.schedule import DAY_NAMES, WEEKDAYS
from routing.engine.validation import validate
from routing.store.versions import draft_document, save_draft
from routing.web.confirm import unconfirmed
from routing.web.draft_forms import (
    DraftChoices,
    ProviderForm,
    RegionForm,
    RuleForm,
    ScheduleForm,
    default_position,
    opts,
)
from routing.web.forms import NoteForm

bp = Blueprint("edit", __name__)
Page = str | Response | tuple[str, int]
Doc = dict[str, Any]


class SafeRouteForm(FlaskForm):
    """The provider every call falls back to when no rule decides."""

    provider = SelectField("Safe route provider")


def _draft() -> tuple[Session, Doc]:
    db = db_session()
    doc, _base = draft_document(db)
    return db, doc


def _saved(db: Session, doc: Doc, section: str, message: str) -> Response:
    """Save through the audited draft path, then show the section's list with the draft check."""
    save_draft(db, doc, str(current_user.email), now(), action=f"draft.{section}")
    commit(db)
    flash(message + " Publish to make it live.")
    return redirect(url_for(f".{section}"))


def _page(template: str, doc: Doc, failed: bool = False, **context: Any) -> Page:
    """A page with the draft check; 400 when a submitted form is shown again with its errors."""
    html = render_template(template, doc=doc, report=validate(doc, data_files()), **context)
    return (html, 400) if failed else html


def _button_pressed() -> None:
    """Move and delete buttons carry only a CSRF token: a bad one is a bad request."""
    if not NoteForm().validate_on_submit():
        abort(400)


def _add_error(form: FlaskForm, name: str | None, message: str, problems: list[str]) -> None:
    """Show `message` by its field, or above the form when no field fixes it."""
    if name is not None and name in form:
        form[name].errors = [*form[name].errors, message]
    else:
        problems.append(message)


def _delete_held(kind: str, item_id: str, section: str, refs: list[str] | None = None,
                 ) -> Response | None:
    """What answers a delete instead of doing it: a refusal while anything still names the
    item (`refs`, saying what), else the confirmation page until the admin confirms it (see
    `routing.web.confirm`); None once confirmed."""
    if refs:
        flash(f"{kind.capitalize()} '{item_id}' not deleted: it is {refused_because(refs)}.", "error")
        return redirect(url_for(f".{section}"))
    return unconfirmed(f"Delete {kind} '{item_id}' from the draft?",
                       "It goes from the draft only: callers follow the published version until you "
                       "publish, and the audit log keeps what it was.",
                       f"Delete {kind} '{item_id}'", url_for(f".{section}"))


def _existing(doc: Doc, section: str, item_id: str | None) -> Doc:
    """The item being edited ({} for a new one); 404 when it is not in the draft."""
    if item_id is None:
        return {}
    found = find_item(doc, section, item_id)
    if found is None:
        abort(404)
    return found


def _id_error(form: FlaskForm, taken: list[str], old_id: str | None, references: list[str]) -> bool:
    """Record why the id cannot be used (bad, taken, or a rename that would break references)."""
    new_id = (form.item_id.data or "").strip()
    problem = id_problem(new_id, set(taken), old_id)
    if problem is None and old_id is not None and new_id != old_id and references:
        problem = f"cannot rename '{old_id}': it is {refused_because(references)}"
    if problem:
        form.item_id.errors = [*form.item_id.errors, problem]
    return problem is not None


# ---- providers --------------------------------------------------------------------------


@bp.get("/providers")
@page_role_required(ADMIN)
def providers() -> Page:
    _db, doc = _draft()
    safe = SafeRouteForm(data={"provider": doc.get("safe_route_provider") or ""})
    safe.provider.choices = opts(DraftChoices.of(doc, data_files()).providers)
    return _page("routing/providers.html", doc, providers=items(doc, "providers"), safe_form=safe,
                 button_form=NoteForm())


@bp.route("/providers/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/providers/<item_id>", methods=["GET", "POST"])
@page_role_required(ADMIN)
def provider(item_id: str | None) -> Page:
    db, doc = _draft()
    base = _existing(doc, "providers", item_id)
    form = ProviderForm(data=ProviderForm.load(base) if base else None)
    form.set_choices(DraftChoices.of(doc, data_files()), base)
    if form.validate_on_submit():
        refs = provider_references(doc, item_id) if item_id else []
        if not _id_error(form, item_ids(doc, "providers"), item_id, refs):
            item = form.item(base)
            new_doc = put_item(doc, "providers", item_id, item)
            cycle = overflow_cycle_through(new_doc, item["id"])
            if cycle is None:
                return _saved(db, new_doc, "providers", f"Provider '{item['id']}' saved to the draft.")
            form.overflow.errors = [*form.overflow.errors, cycle]
    return _page("routing/provider_form.html", doc, form.is_submitted(), form=form, item_id=item_id)


@bp.post("/providers/<item_id>/delete")
@page_role_required(ADMIN)
def delete_provider(item_id: str) -> Response:
    _button_pressed()
    db, doc = _draft()
    _existing(doc, "providers", item_id)
    held = _delete_held("provider", item_id, "providers", provider_references(doc, item_id))
    if held:
        return held
    return _saved(db, remove_item(doc, "providers", item_id), "providers",
                  f"Provider '{item_id}' deleted from the draft.")


@bp.post("/safe-route")
@page_role_required(ADMIN)
def safe_route() -> Response:
    db, doc = _draft()
    form = SafeRouteForm()
    form.provider.choices = opts(DraftChoices.of(doc, data_files()).providers)
    if not form.validate_on_submit():
        abort(400)
    doc["safe_route_provider"] = form.provider.data
    save_draft(db, doc, str(current_user.email), now(), action="draft.safe_route_provider")
    commit(db)
    flash(f"Safe route provider set to '{form.provider.data}' in the draft. Publish to make it live.")
    return redirect(url_for(".providers"))


# ---- regions ----------------------------------------------------------------------------


@bp.get("/regions")
@page_role_required(ADMIN)
def regions() -> Page:
    _db, doc = _draft()
    places = {str(r.get("id")): region_geography(doc, str(r.get("id"))) for r in items(doc, "regions")}
    return _page("routing/regions.html", doc, regions=items(doc, "regions"), places=places,
                 button_form=NoteForm())


@bp.route("/regions/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/regions/<item_id>", methods=["GET", "POST"])
@page_role_required(ADMIN)
def region(item_id: str | None) -> Page:
    db, doc = _draft()
    base = _existing(doc, "regions", item_id)
    places = region_geography(doc, item_id) if item_id else {}
    form = RegionForm(data=RegionForm.load(base, places) if base else None)
    form.set_choices(DraftChoices.of(doc, data_files()), base)
    valid = form.validate_on_submit()
    new_places = form.places() if form.is_submitted() else {}  # place errors show with the rest
    refs = region_references(doc, item_id) if item_id else []
    if valid and not _id_error(form, item_ids(doc, "regions"), item_id, refs) and not form.errors:
        return _save_region(db, doc, item_id, form.item(base), new_places)
    return _page("routing/region_form.html", doc, form.is_submitted(), form=form, item_id=item_id,
                 data_files=data_file_places(data_files(), item_id or ""))


def _save_region(db: Session, doc: Doc, old_id: str | None, item: Doc,
                 places: dict[str, list[str]]) -> Response:
    """Save the region and its places; a renamed region takes its places along."""
    new_doc = put_item(doc, "regions", old_id, item)
    if old_id is not None and old_id != item["id"]:
        new_doc, _moved = set_region_geography(new_doc, old_id, {})
    new_doc, moved = set_region_geography(new_doc, item["id"], places)
    note = f" Moved here: {'; '.join(moved)}." if moved else ""
    return _saved(db, new_doc, "regions", f"Region '{item['id']}' saved to the draft.{note}")


@bp.post("/regions/<item_id>/delete")
@page_role_required(ADMIN)
def delete_region(item_id: str) -> Response:
    _button_pressed()
    db, doc = _draft()
    _existing(doc, "regions", item_id)
    held = _delete_held("region", item_id, "regions", region_references(doc, item_id))
    if held:
        return held
    places = sum(len(v) for v in region_geography(doc, item_id).values())
    new_doc, _moved = set_region_geography(remove_item(doc, "regions", item_id), item_id, {})
    note = f" Its {places} place edit(s) went with it." if places else ""
    return _saved(db, new_doc, "regions", f"Region '{item_id}' deleted from the draft.{note}")


# ---- schedules --------------------------------------------------------------------------


@bp.get("/schedules")
@page_role_required(ADMIN)
def schedules() -> Page:
    _db, doc = _draft()
    return _page("routing/schedules.html", doc, schedules=as_dict(doc.get("schedules")),
                 weekdays=list(zip(WEEKDAYS, DAY_NAMES, strict=True)), button_form=NoteForm())


@bp.route("/schedules/new", methods=["GET", "POST"], defaults={"name": None})
@bp.route("/schedules/<name>", methods=["GET", "POST"])
@page_role_required(ADMIN)
def schedule(name: str | None) -> Page:
    db, doc = _draft()
    specs = as_dict(doc.get("schedules"))
    if name is not None and name not in specs:
        abort(404)
    base = as_dict(specs.get(name)) if name else {}
    if name is not None and not ScheduleForm.fits(specs[name]):  # the JSON editor, not a lossy form
        return _page("routing/schedule_form.html", doc, request.method == "POST", form=None, name=name,
                     weekdays=[])
    form = ScheduleForm(data=ScheduleForm.load(name, base) if name else None)
    if form.validate_on_submit():
        refs = schedule_references(doc, name) if name else []
        if not _id_error(form, list(specs), name, refs):
            new_name = form.item_id.data.strip()
            new_doc = {**doc, "schedules": _renamed(specs, name, new_name, form.spec(base))}
            return _saved(db, new_doc, "schedules", f"Schedule '{new_name}' saved to the draft.")
    return _page("routing/schedule_form.html", doc, form.is_submitted(), form=form, name=name,
                 weekdays=list(zip(WEEKDAYS, DAY_NAMES, strict=True)))


def _renamed(specs: Doc, old: str | None, new: str, spec: Doc) -> Doc:
    """The schedules with `old` replaced by `new` in the same place (or `new` added at the end)."""
    if old is None:
        return {**specs, new: spec}
    return {(new if key == old else key): (spec if key == old else value) for key, value in specs.items()}


@bp.post("/schedules/<name>/delete")
@page_role_required(ADMIN)
def delete_schedule(name: str) -> Response:
    _button_pressed()
    db, doc = _draft()
    specs = as_dict(doc.get("schedules"))
    if name not in specs:
        abort(404)
    held = _delete_held("schedule", name, "schedules", schedule_references(doc, name))
    if held:
        return held
    new_doc = {**doc, "schedules": {key: value for key, value in specs.items() if key != name}}
    return _saved(db, new_doc, "schedules", f"Schedule '{name}' deleted from the draft.")


# ---- rules ------------------------------------------------------------------------------


@bp.get("/rules")
@page_role_required(ADMIN)
def rules() -> Page:
    _db, doc = _draft()
    return _page("routing/rules.html", doc, rules=items(doc, "rules"), button_form=NoteForm(),
                 describe_when=describe_when, describe_then=describe_then)


@bp.route("/rules/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/rules/<item_id>", methods=["GET", "POST"])
@page_role_required(ADMIN)
def rule(item_id: str | None) -> Page:
    db, doc = _draft()
    base = _existing(doc, "rules", item_id)
    form = RuleForm(data=RuleForm.load(base) if base else {"position": default_position(doc)})
    form.set_choices(DraftChoices.of(doc, data_files()), base, item_ids(doc, "rules"))
    problems: list[str] = []
    if form.validate_on_submit() and not _id_error(form, item_ids(doc, "rules"), item_id, []):
        item = form.item(base)
        for field, message in rule_problems(doc, item, data_files()):
            _add_error(form, field, message, problems)
        if not problems and not form.errors:
            new_doc = put_item(doc, "rules", item_id, item, before=form.position.data or None)
            return _saved(db, new_doc, "rules", f"Rule '{item['id']}' saved to the draft.")
    return _page("routing/rule_form.html", doc, form.is_submitted(), form=form, item_id=item_id,
                 problems=problems)


@bp.post("/rules/<item_id>/move/<direction>")
@page_role_required(ADMIN)
def move(item_id: str, direction: str) -> Response:
    _button_pressed()
    if direction not in ("up", "down"):
        abort(404)
    db, doc = _draft()
    _existing(doc, "rules", item_id)
    new_doc = move_rule(doc, item_id, -1 if direction == "up" else 1)
    if new_doc is None:
        flash(f"Rule '{item_id}' is already {'first' if direction == 'up' else 'last'}.", "error")
        return redirect(url_for(".rules"))
    return _saved(db, new_doc, "rules", f"Rule '{item_id}' moved {direction}.")


@bp.post("/rules/<item_id>/delete")
@page_role_required(ADMIN)
def delete_rule(item_id: str) -> Response:
    _button_pressed()
    db, doc = _draft()
    _existing(doc, "rules", item_id)
    held = _delete_held("rule", item_id, "rules")
    if held:
        return held
    return _saved(db, remove_item(doc, "rules", item_id), "rules",
                  f"Rule '{item_id}' deleted from the draft.")
