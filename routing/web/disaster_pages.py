"""Disaster mode's admin page: one form turns it on (the event, the bulletin and the recorded
information, English and French), one button turns it off; each asks on a confirmation page
first, then is audited and in effect on every worker from the next call.

A blueprint nested in the routing admin pages (endpoints `routing_admin.disaster.*`), admins
only, every POST with a CSRF token. Nothing of the published rules changes: the mode is an
overlay (`routing.engine.disaster`), so turning it off routes by them exactly as before.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from accounts.auth import page_role_required
from accounts.models import ADMIN
from config.clock import now
from config.database import commit, db_session
from config.extensions import store
from routing.engine.disaster import CALLBACK_AFTER_SECONDS, MAX_WAIT_FACTOR, OFF, DisasterMode
from routing.store import disaster
from routing.web.confirm import unconfirmed
from routing.web.forms import DisasterForm, NoteForm
from routing.web.refusals import REFUSED, refusal

bp = Blueprint("disaster", __name__, url_prefix="/disaster")


def mode_to_test(choice: str) -> DisasterMode:
    """Test a call under disaster mode as it is now, off, or on (a preview: the last texts,
    so an admin sees the routing before turning it on)."""
    db = db_session()
    current = disaster.latest(db)
    if choice == "off":
        return OFF
    if choice == "on" and not current.on:
        texts = disaster.last_texts(db)
        return DisasterMode(on=True, event=texts.get("event") or "(preview)")
    return current


def _page(form: DisasterForm, error: str | None = None, status: int = 200) -> tuple[str, int]:
    mode = disaster.latest(db_session())
    return render_template("routing/disaster.html", form=form, mode=mode, error=error,
                           off_form=NoteForm(), factor=MAX_WAIT_FACTOR,
                           callback_after=CALLBACK_AFTER_SECONDS), status


@bp.get("/")
@page_role_required(ADMIN)
def show() -> tuple[str, int]:
    db = db_session()
    mode = disaster.latest(db)
    form = DisasterForm()
    texts = disaster.as_dict(mode) if mode.on else disaster.last_texts(db)
    for name in disaster.TEXT_FIELDS:
        form[name].data = texts.get(name) or ""
    return _page(form)


@bp.post("/on")
@page_role_required(ADMIN)
def turn_on() -> tuple[str, int] | Response:
    form = DisasterForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    data = {name: form[name].data for name in disaster.TEXT_FIELDS}
    try:
        fields = disaster.clean(data)
    except REFUSED as exc:  # as the API would answer it, beside its field
        field = getattr(exc, "field", None)
        if field in form:
            form[field].errors = [str(exc)]
        return _page(form, refusal(exc).reason, refusal(exc).status)
    was_on = disaster.latest(db_session()).on
    asked = unconfirmed(
        f"{'Change the texts of' if was_on else 'Turn on'} disaster mode for {fields['event']}?",
        "From the next call, on every line: the bulletin first, the information option in the "
        "need menu, overflow pooled across every region, longer queues and earlier callbacks. "
        "The published rules are not changed; turning it off restores them exactly.",
        "Change the texts" if was_on else "Turn on disaster mode", url_for(".show"), carry=fields)
    if asked:
        return asked
    db = db_session()
    disaster.turn_on(db, str(current_user.email), now(), fields)
    commit(db)
    disaster.disaster_changed(store())
    flash(f"Disaster mode is on for {fields['event']}: from the next call, on every line.")
    return redirect(url_for(".show"))


@bp.post("/off")
@page_role_required(ADMIN)
def turn_off() -> Response:
    if not NoteForm().validate_on_submit():
        abort(400)
    db = db_session()
    mode = disaster.latest(db)
    if not mode.on:
        flash("Disaster mode is already off.")
        return redirect(url_for(".show"))
    asked = unconfirmed(f"Turn off disaster mode ({mode.event})?",
                        "From the next call: no bulletin or information option, and routing by "
                        "the published rules exactly as they are. Calls already queued keep "
                        "their route.", "Turn off disaster mode", url_for(".show"))
    if asked:
        return asked
    disaster.turn_off(db, str(current_user.email), now())
    commit(db)
    disaster.disaster_changed(store())
    flash("Disaster mode is off: calls are routed by the published rules.")
    return redirect(url_for(".show"))
