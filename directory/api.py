"""The directory's JSON API: search, a service's details, referrals, screen-pop events.

Search and details are for specialists and planners (admins have every role); referrals are
recorded and read only for a real call, by the specialist who had it (or a supervisor or an
admin), from the lookup page (session + X-CSRFToken) or with a token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from accounts.auth import api_error, api_role_required, api_user
from config import database
from config.clock import now
from config.extensions import deployment, local_zone, store
from directory.details import service_details
from directory.models import Referral, Service
from directory.parsing import language_code
from directory.search_index import Filters
from directory.search_loader import index_for
from ivr import screen_pop
from ivr.access import may_work_on
from ivr.models import CallRecord

bp = Blueprint("directory_api", __name__, url_prefix="/api/directory")
MAX_LIMIT = 100
TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class BadParameter(ValueError):
    pass


def _flag(name: str) -> bool:
    raw = request.args.get(name, "").strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise BadParameter(f"{name} must be true or false")


def _limit() -> int:
    raw = request.args.get("limit", "20").strip() or "20"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadParameter(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def parse_filters() -> Filters:
    """The query string's filters, checked; BadParameter names what is wrong."""
    region = request.args.get("region", "").strip() or None
    if region and region not in deployment().regions:
        raise BadParameter(f"unknown region {region!r}; one of {sorted(deployment().regions)}")
    language = request.args.get("language", "").strip() or None
    code = language_code(language) if language else None
    if language and code is None:
        raise BadParameter(f"unknown language {language!r}")
    taxonomy = tuple(t.strip().upper() for t in request.args.get("taxonomy", "").split(",")
                     if t.strip())
    for prefix in taxonomy:
        if not prefix.replace("-", "").replace(".", "").isalnum() or len(prefix) > 40:
            raise BadParameter(f"bad taxonomy code {prefix!r}")
    open_at = None
    if _flag("open_now"):
        open_at = now().astimezone(local_zone())
    return Filters(region=region, area=request.args.get("area", "").strip() or None,
                   language=code, taxonomy=taxonomy, open_at=open_at,
                   accessible=_flag("accessible"))


@bp.get("/search")
@api_role_required("specialist", "planner")
def search() -> Any:
    query = request.args.get("q", "")
    if len(query) > 200:
        return api_error(400, "q is longer than 200 characters")
    try:
        filters, limit = parse_filters(), _limit()
    except BadParameter as exc:
        return api_error(400, str(exc))
    index = index_for(current_app._get_current_object())  # type: ignore[attr-defined]
    return jsonify(index.search(query, filters, limit))


def find_service(service_id: str, source: str | None) -> Service | list[Service] | None:
    """The service with this source id (and source); a list when the id is ambiguous."""
    stmt = select(Service).where(Service.source_id == service_id)
    if source:
        stmt = stmt.where(Service.source == source)
    found = list(database.db_session().scalars(stmt.limit(2)))
    if not found:
        return None
    return found[0] if len(found) == 1 else found


@bp.get("/services/<path:service_id>")
@api_role_required("specialist", "planner")
def service(service_id: str) -> Any:
    found = find_service(service_id, request.args.get("source") or None)
    if found is None:
        return api_error(404, f"no service {service_id!r}")
    if isinstance(found, list):
        return api_error(400, f"id {service_id!r} is in several sources; pass source=")
    return jsonify(service_details(database.db_session(), found))


@bp.post("/referrals")
@api_role_required("specialist")
def refer() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "send a JSON object {call_sid, service_id}")
    call_sid = str(body.get("call_sid") or "").strip()
    service_id = str(body.get("service_id") or "").strip()
    if not call_sid or len(call_sid) > 64:
        return api_error(400, "call_sid is required (at most 64 characters)")
    if not service_id:
        return api_error(400, "service_id is required")
    found = find_service(service_id, str(body.get("source") or "") or None)
    if found is None:
        return api_error(404, f"no service {service_id!r}")
    if isinstance(found, list):
        return api_error(400, f"id {service_id!r} is in several sources; pass source")
    db, user = database.db_session(), api_user()
    record, refusal = call_for(user, call_sid)
    if refusal is not None:
        return refusal
    referral = Referral(call_sid=call_sid, service_id=found.id, specialist_id=user.specialist_id,
                        user_id=user.id, need=record.need if record else None, created_at=now())
    db.add(referral)
    db.commit()
    return jsonify(referral_json(referral, found)), 201


def call_for(user: Any, call_sid: str) -> tuple[CallRecord | None, Any]:
    """The call, if it exists and this user had it (or supervises); else the refusal to send."""
    record = database.db_session().scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
    if record is None:
        return None, api_error(404, f"no call {call_sid!r}")
    if not may_work_on(user, record):
        return None, api_error(403, "only the call's specialist, a supervisor or an admin may")
    return record, None


@bp.get("/referrals")
@api_role_required("specialist")
def referrals() -> Any:
    call_sid = request.args.get("call_sid", "").strip()
    if not call_sid:
        return api_error(400, "call_sid is required")
    _record, refusal = call_for(api_user(), call_sid)
    if refusal is not None:
        return refusal
    rows = database.db_session().execute(
        select(Referral, Service).join(Service, Referral.service_id == Service.id)
        .where(Referral.call_sid == call_sid).order_by(Referral.id)).all()
    return jsonify({"referrals": [referral_json(r, s) for r, s in rows]})


def referral_json(referral: Referral, service: Service) -> dict[str, Any]:
    return {"id": referral.id, "call_sid": referral.call_sid, "service_id": service.source_id,
            "source": service.source, "service_name": service.name, "need": referral.need,
            "specialist_id": referral.specialist_id,
            "created_at": referral.created_at.isoformat()}


@bp.get("/screen-pop")
@api_role_required("specialist")
def screen_pop_events() -> Any:
    """Calls handed to the signed-in specialist since the `seen` first ones (polled by the page)."""
    raw = request.args.get("seen", "0")
    if not raw.isdigit():
        return api_error(400, "seen must be a whole number")
    specialist_id = api_user().specialist_id
    if specialist_id is None:
        return jsonify({"events": [], "seen": int(raw), "linked": False})
    events = screen_pop.events_since(store(), specialist_id, int(raw))
    return jsonify({"events": events, "seen": int(raw) + len(events), "linked": True})
