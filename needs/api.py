"""`/api/contacts/...`: a call's contact record, taxonomy type-ahead, follow-ups, incomplete calls.

Writes come from the lookup page (session + X-CSRFToken) or with a bearer token. A bad body
answers 400 `{"error": ..., "errors": {"needs.1.reason": "..."}}` and stores nothing, so the
page keeps what was typed and shows each message by its field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from accounts.auth import api_error, api_role_required, api_user
from config.api_schema import describes
from config.clock import now
from config.database import commit, db_session
from config.extensions import deployment, local_zone, settings
from ivr.models import CallRecord
from needs import record as records
from needs import worklists
from needs.models import ContactRecord
from needs.schema import RecordIn, parse_record
from needs.taxonomy import load_taxonomy

bp = Blueprint("needs_api", __name__, url_prefix="/api/contacts")


def _call(call_sid: str) -> CallRecord | None:
    return db_session().scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))


def _record(call_sid: str) -> ContactRecord | None:
    return db_session().scalar(select(ContactRecord).where(ContactRecord.call_sid == call_sid))


@bp.get("/records/<call_sid>")
@api_role_required("specialist")
def get_record(call_sid: str) -> Any:
    call, user = _call(call_sid), api_user()
    if call is None:
        return api_error(404, f"no call {call_sid!r}")
    if not records.may_edit(user, call):
        return api_error(403, "this call was taken by another specialist")
    db = db_session()
    return jsonify(records.record_json(db, call, _record(call_sid), load_taxonomy(db), user, now()))


@bp.put("/records/<call_sid>")
@api_role_required("specialist")
@describes(body=RecordIn)
def put_record(call_sid: str) -> Any:
    call, user, db = _call(call_sid), api_user(), db_session()
    if call is None:
        return api_error(404, f"no call {call_sid!r}")
    body, errors = parse_record(request.get_json(silent=True))
    if body is None:
        return jsonify({"error": "the contact record has errors", "errors": errors}), 400
    taxonomy = load_taxonomy(db)
    try:
        saved, errors = records.save(db, call, body, taxonomy, user, now(),
                                     settings().contact_lock_hours, deployment().timezone)
    except records.NotAllowed as refused:
        return api_error(403, str(refused))
    if saved is None:
        db.rollback()
        return jsonify({"error": "the contact record has errors", "errors": errors}), 400
    commit(db)
    return jsonify(records.record_json(db, call, saved, taxonomy, user, now()))


@bp.post("/records/<call_sid>/follow-up-done")
@api_role_required("specialist")
def follow_up_done(call_sid: str) -> Any:
    call, user, db = _call(call_sid), api_user(), db_session()
    record = _record(call_sid)
    if call is None or record is None or not record.follow_up:
        return api_error(404, f"no follow-up for call {call_sid!r}")
    if not records.may_edit(user, call):
        return api_error(403, "this call was taken by another specialist")
    record.follow_up_done_at = now()
    commit(db)
    return jsonify({"call_sid": call_sid, "follow_up_done_at": record.follow_up_done_at.isoformat()})


@bp.get("/taxonomy")
@api_role_required("specialist", "planner")
def taxonomy_suggest() -> Any:
    query = request.args.get("q", "")
    if len(query) > 100:
        return api_error(400, "q is longer than 100 characters")
    terms = load_taxonomy(db_session()).suggest(query)
    return jsonify({"terms": [t.as_json() for t in terms]})


@bp.get("/follow-ups")
@api_role_required("specialist")
def follow_up_list() -> Any:
    today = now().astimezone(local_zone()).date()
    return jsonify({"follow_ups": worklists.follow_ups(db_session(), api_user(), today)})


@bp.get("/incomplete")
@api_role_required("supervisor")
def incomplete_list() -> Any:
    raw = request.args.get("days", "30")
    if not raw.isdigit() or not 1 <= int(raw) <= 366:
        return api_error(400, "days must be a whole number from 1 to 366")
    return jsonify({"calls": worklists.incomplete(db_session(), now(), int(raw))})
