"""The directory's JSON API: search, a service's details, referrals, screen-pop events.

Search and details are for specialists and planners (admins have every role); referrals are
recorded and read only for a real call, by the specialist who had it (or a supervisor or an
admin), from the lookup page (session + X-CSRFToken) or with a token. Searches whose words
match nothing, and results a specialist marks as not what they needed, are counted for the
admins' search feedback page (`directory.feedback`: the query text only).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from accounts.auth import api_error, api_role_required, api_user
from config import database
from config.api_schema import accepts
from config.clock import now
from config.extensions import local_zone, store
from directory import feedback
from directory.details import service_details
from directory.models import Referral, Service
from directory.schemas import (
    FeedbackIn,
    ReferralIn,
    ReferralsQuery,
    ScreenPopQuery,
    SearchQuery,
    ServiceQuery,
)
from directory.search_index import Filters, Searcher
from directory.search_loader import index_for
from ivr import screen_pop
from ivr.interface import may_work_on
from ivr.models import CallRecord

bp = Blueprint("directory_api", __name__, url_prefix="/api/directory")
log = logging.getLogger(__name__)


def filters_of(query: SearchQuery) -> Filters:
    open_at = now().astimezone(local_zone()) if query.open_now else None
    return Filters(region=query.region, area=(query.area or "").strip() or None,
                   language=query.language, taxonomy=query.taxonomy_prefixes(), open_at=open_at,
                   accessible=query.accessible)


@bp.get("/search")
@api_role_required("specialist", "planner")
@accepts(query=SearchQuery)
def search(query: SearchQuery) -> Any:
    """Search the directory: ranked services with what matched."""
    index = index_for(current_app._get_current_object())  # type: ignore[attr-defined]
    filters = filters_of(query)
    found = index.search(query.q, filters, query.limit)
    if found["total"] == 0 and query.q.strip() and finds_nothing(index, query.q, filters):
        count_feedback(feedback.NO_RESULTS, query.q)
    return jsonify(found)


def finds_nothing(index: Searcher, q: str, filters: Filters) -> bool:
    """The words themselves match nothing: a search emptied only by its filters (open now,
    a region) says nothing about the directory's vocabulary, so it is not counted."""
    return filters == Filters() or index.search(q, Filters(), 1)["total"] == 0


def count_feedback(kind: str, q: str, service: tuple[str, str] = ("", "")) -> bool:
    """Count a failed search in its own unit of work. Counting is a by-product: if the
    database is away the search still answers (and the count is lost, logged)."""
    db = database.db_session()
    try:
        counted = feedback.record(db, kind, q, now(), service)
        database.commit(db)
    except SQLAlchemyError:
        db.rollback()
        log.warning("search feedback (%s) not counted: database error", kind, exc_info=True)
        return False
    return counted


@bp.post("/search-feedback")
@api_role_required("specialist")
@accepts(body=FeedbackIn)
def mark_wrong(body: FeedbackIn) -> Any:
    """A specialist marks a result as not what they needed for the query they searched."""
    found = find_service(body.service_id, body.source or None)
    if found is None:
        return api_error(404, f"no service {body.service_id!r}")
    if isinstance(found, list):
        return api_error(400, f"id {body.service_id!r} is in several sources; pass source")
    if not feedback.worth_counting(feedback.clean_query(body.query)):
        return api_error(400, "the query is too short to learn from")
    if not count_feedback(feedback.WRONG_RESULT, body.query, (found.source, found.source_id)):
        return api_error(503, "feedback not recorded, try again")
    return jsonify({"counted": True}), 201


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
@accepts(query=ServiceQuery)
def service(service_id: str, query: ServiceQuery) -> Any:
    """One service's details."""
    found = find_service(service_id, query.source)
    if found is None:
        return api_error(404, f"no service {service_id!r}")
    if isinstance(found, list):
        return api_error(400, f"id {service_id!r} is in several sources; pass source=")
    return jsonify(service_details(database.db_session(), found))


@bp.post("/referrals")
@api_role_required("specialist")
@accepts(body=ReferralIn)
def refer(body: ReferralIn) -> Any:
    """Record a referral given on a call."""
    call_sid, service_id = body.call_sid, body.service_id
    found = find_service(service_id, body.source or None)
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
    database.commit(db)
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
@accepts(query=ReferralsQuery)
def referrals(query: ReferralsQuery) -> Any:
    """The referrals given on a call."""
    call_sid = query.call_sid.strip()
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
@accepts(query=ScreenPopQuery)
def screen_pop_events(query: ScreenPopQuery) -> Any:
    """Calls handed to the signed-in specialist since the `seen` first ones (polled by the page)."""
    seen = query.seen
    specialist_id = api_user().specialist_id
    if specialist_id is None:
        return jsonify({"events": [], "seen": seen, "linked": False})
    events = screen_pop.events_since(store(), specialist_id, seen)
    return jsonify({"events": events, "seen": seen + len(events), "linked": True})
