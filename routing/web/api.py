"""The routing JSON API under /api/admin/: drafts, validation, publish, rollback, audit, bulletins.

Bearer token (or a signed-in session plus X-CSRFToken for writes). Admins only, as the admin
pages: the drafts, the audit log (with admins' emails) and the live queue figures in a test
call are not for specialists or planners, who get 403 on every route here. Domain errors are
answered by `routing.web.refusals`; each write commits once, then tells every worker.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Session

from accounts.auth import api_error, api_role_required, api_user
from accounts.models import ADMIN
from config.clock import now
from config.database import db_session
from config.extensions import deployment, store
from config.ontario import data_files
from routing.engine.explain import explain_call, parse_at
from routing.engine.validation import validate
from routing.service import live_figures
from routing.store import audit, bulletin_writes
from routing.store.bulletins import bulletins_changed
from routing.store.models import Bulletin
from routing.store.versions import (
    discard_draft,
    draft_document,
    get_version,
    list_versions,
    publish,
    rollback,
    rules_changed,
    rules_document,
    save_draft,
    version_dict,
)
from routing.web.refusals import answer_as_json

bp = Blueprint("routing_api", __name__, url_prefix="/api/admin")
answer_as_json(bp)
READ = (ADMIN,)  # the pages' roles: reading the drafts, audit and live figures is admin work
SECTIONS = ("providers", "regions", "rules", "schedules", "closures", "geography", "languages",
            "safe_route_provider", "timezone")


def body() -> Any:
    data = request.get_json(silent=True)
    return data if data is not None else {}


def actor() -> str:
    return api_user().email


def draft_answer(db: Session) -> dict[str, Any]:
    doc, base = draft_document(db)
    return {"document": doc, "base_number": base, "validation": validate(doc, data_files()).to_dict()}


@bp.get("/routing/draft")
@api_role_required(*READ)
def get_draft() -> Any:
    return jsonify(draft_answer(db_session()))


@bp.put("/routing/draft")
@api_role_required(ADMIN)
def put_draft() -> Any:
    doc = body()
    if not isinstance(doc, dict) or not doc:
        return api_error(400, "send the whole rule-set document as a JSON object")
    db = db_session()
    save_draft(db, doc, actor(), now())
    db.commit()
    return jsonify(draft_answer(db))


@bp.put("/routing/draft/<section>")
@api_role_required(ADMIN)
def put_draft_section(section: str) -> Any:
    """Replace one part of the draft (providers, regions, rules, schedules, closures...)."""
    if section not in SECTIONS:
        return api_error(404, f"no section '{section}' (use {', '.join(SECTIONS)})")
    payload = request.get_json(silent=True)
    if payload is None:
        return api_error(400, "send the section's new value as JSON")
    db = db_session()
    doc, _base = draft_document(db)
    doc[section] = payload
    save_draft(db, doc, actor(), now(), action=f"draft.{section}")
    db.commit()
    return jsonify(draft_answer(db))


@bp.delete("/routing/draft")
@api_role_required(ADMIN)
def delete_draft() -> Any:
    db = db_session()
    discard_draft(db, actor(), now())
    db.commit()
    return jsonify(draft_answer(db))


@bp.post("/routing/validate")
@api_role_required(*READ)
def post_validate() -> Any:
    """Validate the posted document, or the draft when nothing is posted."""
    doc = body() or draft_document(db_session())[0]
    return jsonify(validate(doc, data_files()).to_dict())


@bp.post("/routing/publish")
@api_role_required(ADMIN)
def post_publish() -> Any:
    note = str(body().get("note") or "") if isinstance(body(), dict) else ""
    db = db_session()
    version = publish(db, data_files(), actor(), now(), note)
    db.commit()
    rules_changed(store())
    return jsonify(version_dict(version)), 201


@bp.get("/routing/versions")
@api_role_required(*READ)
def get_versions() -> Any:
    return jsonify({"versions": [version_dict(v) for v in list_versions(db_session())]})


@bp.get("/routing/versions/<int:number>")
@api_role_required(*READ)
def get_one_version(number: int) -> Any:
    version = get_version(db_session(), number)
    if version is None:
        return api_error(404, f"no version {number}")
    return jsonify(version_dict(version, with_document=True))


@bp.post("/routing/versions/<int:number>/rollback")
@api_role_required(ADMIN)
def post_rollback(number: int) -> Any:
    db = db_session()
    version = rollback(db, data_files(), number, actor(), now())
    db.commit()
    rules_changed(store())
    return jsonify(version_dict(version)), 201


@bp.get("/routing/audit")
@api_role_required(*READ)
def get_audit() -> Any:
    limit = request.args.get("limit", "100")
    entries = audit.recent(db_session(), min(int(limit), 1000) if limit.isdigit() else 100)
    return jsonify({"entries": [audit.as_dict(e) for e in entries]})


@bp.post("/routing/explain")
@api_role_required(*READ)
def post_explain() -> Any:
    """Test a call: {from, at, language, need, region, interpreter, rules: draft|published|N}."""
    data = body() if isinstance(body(), dict) else {}
    doc, number, label = rules_document(db_session(), str(data.get("rules") or "draft"))
    at = parse_at(data.get("at"), deployment().timezone, now())
    result = explain_call(doc, data_files(), caller=data.get("from"), at=at,
                          language=str(data.get("language") or "en"), need=data.get("need"),
                          region=data.get("region"), interpreter=data.get("interpreter"),
                          figures=live_figures(frozenset(doc_providers(doc))),
                          version=number, label=label)
    return jsonify(result)


def doc_providers(doc: dict[str, Any]) -> list[str]:
    return [str(p.get("id")) for p in doc.get("providers") or [] if isinstance(p, dict)]


@bp.get("/bulletins")
@api_role_required(*READ)
def get_bulletins() -> Any:
    return jsonify({"bulletins": [bulletin_writes.as_dict(b)
                                  for b in bulletin_writes.all_bulletins(db_session())]})


def _checked(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise bulletin_writes.BulletinInvalid("send the bulletin as a JSON object")
    dep = deployment()
    return bulletin_writes.clean(data, set(dep.regions), dep.timezone)


@bp.post("/bulletins")
@api_role_required(ADMIN)
def post_bulletin() -> Any:
    db = db_session()
    bulletin = bulletin_writes.save(db, actor(), now(), _checked(body()))
    db.commit()
    bulletins_changed(store())
    return jsonify(bulletin_writes.as_dict(bulletin)), 201


@bp.put("/bulletins/<int:bulletin_id>")
@api_role_required(ADMIN)
def put_bulletin(bulletin_id: int) -> Any:
    db = db_session()
    bulletin = _bulletin(db, bulletin_id)
    changes = body()
    if not isinstance(changes, dict):
        raise bulletin_writes.BulletinInvalid("send the changed fields as a JSON object")
    fields = _checked({**bulletin_writes.as_dict(bulletin), **changes})
    bulletin = bulletin_writes.save(db, actor(), now(), fields, bulletin)
    db.commit()
    bulletins_changed(store())
    return jsonify(bulletin_writes.as_dict(bulletin))


@bp.delete("/bulletins/<int:bulletin_id>")
@api_role_required(ADMIN)
def delete_bulletin(bulletin_id: int) -> Any:
    db = db_session()
    bulletin_writes.delete(db, actor(), now(), _bulletin(db, bulletin_id))
    db.commit()
    bulletins_changed(store())
    return jsonify({"deleted": bulletin_id})


def _bulletin(db: Session, bulletin_id: int) -> Bulletin:
    bulletin = db.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise LookupError(f"no bulletin {bulletin_id}")
    return bulletin
