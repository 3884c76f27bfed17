"""The surge view for supervisors (and admins): `/supervisor/surge`, a page that refreshes
itself every 15 s, and `GET /api/supervisor/surge`, the same figures as JSON (`ivr.surge`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from accounts.auth import api_role_required, page_role_required
from accounts.models import SUPERVISOR
from config.clock import now
from config.database import db_session
from config.extensions import deployment, store
from ivr.surge import Surge, surge
from routing.service import disaster_mode
from routing.store.queue_figures import QueueFigures

bp = Blueprint("surge", __name__, template_folder="templates")


def current() -> Surge:
    return surge(db_session(), QueueFigures(store()), deployment(), now())


@bp.get("/supervisor/surge")
@page_role_required(SUPERVISOR)
def page() -> str:
    return render_template("ivr/surge.html", surge=current(), mode=disaster_mode())


@bp.get("/api/supervisor/surge")
@api_role_required(SUPERVISOR)
def api() -> Any:
    """Waiting, callbacks owed, and the last 15 minutes' answer rate and abandonment, by region."""
    mode = disaster_mode()
    return jsonify({**current().as_dict(),
                    "disaster_mode": {"on": mode.on, "event": mode.event or None}})
