"""The routing JSON API under /api/admin/: drafts, validation, publish, rollback, audit, bulletins.

Bearer token (or a signed-in session plus X-CSRFToken for writes). Admins only, as the admin
pages: the drafts, the audit log (with admins' emails) and the live queue figures in a test
call are not for specialists or planners, who get 403 on every route here. Domain errors are
answered by `routing.web.refusals`; each write commits once, then tells every worker.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy.orm import Session

from accounts.auth import api_error, api_role_required, api_user
from accounts.models import ADMIN
from config.api_schema import accepts, bad_input
from config.clock import now
from config.database import commit, db_session
from config.extensions import deployment, store
from config.ontario import data_files
from routing.engine.explain import explain_call, parse_at
from routing.engine.validation import validate
from routing.service import live_figures
from routing.store import audit, bulletin_writes, disaster
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
from routing.web.disaster_pages import mode_to_test
from routing.web.refusals import answer_as_json
from routing.web.schemas import (
    AuditQuery,
    BulletinChange,
    BulletinIn,
    DisasterIn,
    DraftIn,
    ExplainIn,
    PublishIn,
    SectionIn,
    ValidateIn,
)

bp = Blueprint("routing_api", __name__, url_prefix="/api/admin")
answer_as_json(bp)
READ = (ADMIN,)  # the pages' roles: reading the drafts, audit and live figures is admin work
SECTIONS = ("providers", "regions", "rules", "schedules", "closures", "geography", "languages",
            "safe_route_provider", "timezone")


def actor() -> str:
    return api_user().email


def draft_answer(db: Session) -> dict[str, Any]:
    doc, base = draft_document(db)
    return {"document": doc, "base_number": base, "validation": validate(doc, data_files()).to_dict()}


@bp.get("/routing/draft")
@api_role_required(*READ)
def get_draft() -> Any:
    """The draft (or the published set, or the default), its base version and its check."""
    return jsonify(draft_answer(db_session()))


@bp.put("/routing/draft")
@api_role_required(ADMIN)
@accepts(body=DraftIn)
def put_draft(body: DraftIn) -> Any:
    """Replace the whole draft."""
    if not body.root:
        return bad_input({"body": "send the whole rule-set document as a JSON object"})
    db = db_session()
    save_draft(db, body.root, actor(), now())
    commit(db)
    return jsonify(draft_answer(db))


@bp.put("/routing/draft/<section>")
@api_role_required(ADMIN)
@accepts(body=SectionIn)
def put_draft_section(section: str, body: SectionIn) -> Any:
    """Replace one part of the draft (providers, regions, rules, schedules, closures...)."""
    if section not in SECTIONS:
        return api_error(404, f"no section '{section}' (use {', '.join(SECTIONS)})")
    if body.root is None:
        return bad_input({"body": "send the section's new value as JSON"})
    db = db_session()
    doc, _base = draft_document(db)
    doc[section] = body.root
    save_draft(db, doc, actor(), now(), action=f"draft.{section}")
    commit(db)
    return jsonify(draft_answer(db))


@bp.delete("/routing/draft")
@api_role_required(ADMIN)
def delete_draft() -> Any:
    """Discard the draft."""
    db = db_session()
    discard_draft(db, actor(), now())
    commit(db)
    return jsonify(draft_answer(db))


@bp.post("/routing/validate")
@api_role_required(*READ)
@accepts(body=ValidateIn)
def post_validate(body: ValidateIn) -> Any:
    """Validate the posted document, or the draft when nothing is posted."""
    doc = body.root or draft_document(db_session())[0]
    return jsonify(validate(doc, data_files()).to_dict())


@bp.post("/routing/publish")
@api_role_required(ADMIN)
@accepts(body=PublishIn)
def post_publish(body: PublishIn) -> Any:
    """Validate the draft and publish it as the next version (422 with the report if not)."""
    db = db_session()
    version = publish(db, data_files(), actor(), now(), body.note)
    commit(db)
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
    commit(db)
    rules_changed(store())
    return jsonify(version_dict(version)), 201


@bp.get("/routing/audit")
@api_role_required(*READ)
@accepts(query=AuditQuery)
def get_audit(query: AuditQuery) -> Any:
    """The latest routing changes: who, when, what (a diff)."""
    entries = audit.recent(db_session(), query.limit)
    return jsonify({"entries": [audit.as_dict(e) for e in entries]})


@bp.post("/routing/explain")
@api_role_required(*READ)
@accepts(body=ExplainIn)
def post_explain(body: ExplainIn) -> Any:
    """Test a call: where it would go now (or at `at`), and why."""
    doc, number, label = rules_document(db_session(), body.rules)
    at = parse_at(body.at, deployment().timezone, now())
    result = explain_call(doc, data_files(), caller=body.caller, at=at, language=body.language,
                          need=body.need, region=body.region, interpreter=body.interpreter,
                          figures=live_figures(frozenset(doc_providers(doc))),
                          version=number, label=label, disaster=mode_to_test(body.disaster))
    return jsonify(result)


def doc_providers(doc: dict[str, Any]) -> list[str]:
    return [str(p.get("id")) for p in doc.get("providers") or [] if isinstance(p, dict)]


@bp.get("/bulletins")
@api_role_required(*READ)
def get_bulletins() -> Any:
    """Every bulletin, the latest first."""
    return jsonify({"bulletins": [bulletin_writes.as_dict(b)
                                  for b in bulletin_writes.all_bulletins(db_session())]})


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    dep = deployment()
    return bulletin_writes.clean(data, set(dep.regions), dep.timezone)


@bp.post("/bulletins")
@api_role_required(ADMIN)
@accepts(body=BulletinIn)
def post_bulletin(body: BulletinIn) -> Any:
    """A new bulletin: it plays on the next matching call, on every worker."""
    db = db_session()
    bulletin = bulletin_writes.save(db, actor(), now(), _checked(body.model_dump()))
    commit(db)
    bulletins_changed(store())
    return jsonify(bulletin_writes.as_dict(bulletin)), 201


@bp.put("/bulletins/<int:bulletin_id>")
@api_role_required(ADMIN)
@accepts(body=BulletinChange)
def put_bulletin(bulletin_id: int, body: BulletinChange) -> Any:
    """Change some fields of a bulletin."""
    db = db_session()
    bulletin = _bulletin(db, bulletin_id)
    fields = _checked({**bulletin_writes.as_dict(bulletin), **body.model_dump(exclude_unset=True)})
    bulletin = bulletin_writes.save(db, actor(), now(), fields, bulletin)
    commit(db)
    bulletins_changed(store())
    return jsonify(bulletin_writes.as_dict(bulletin))


@bp.delete("/bulletins/<int:bulletin_id>")
@api_role_required(ADMIN)
def delete_bulletin(bulletin_id: int) -> Any:
    """Delete a bulletin."""
    db = db_session()
    bulletin_writes.delete(db, actor(), now(), _bulletin(db, bulletin_id))
    commit(db)
    bulletins_changed(store())
    return jsonify({"deleted": bulletin_id})


def _bulletin(db: Session, bulletin_id: int) -> Bulletin:
    bulletin = db.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise LookupError(f"no bulletin {bulletin_id}")
    return bulletin


@bp.get("/disaster")
@api_role_required(*READ)
def get_disaster() -> Any:
    """Disaster mode as it is now (and what callers hear while it is on)."""
    return jsonify(disaster.as_dict(disaster.latest(db_session())))


@bp.put("/disaster")
@api_role_required(ADMIN)
@accepts(body=DisasterIn)
def put_disaster(body: DisasterIn) -> Any:
    """Turn disaster mode on (every text required) or off; audited, on every worker from the
    next call. Off restores routing by the published rules exactly."""
    db = db_session()
    if body.on:
        mode = disaster.turn_on(db, actor(), now(), disaster.clean(body.model_dump()))
    else:
        texts = body.model_dump(exclude={"on"}, exclude_none=True)
        if texts:
            return bad_input({name: "only with on: true" for name in texts})
        mode = disaster.turn_off(db, actor(), now())
    commit(db)
    disaster.disaster_changed(store())
    return jsonify(disaster.as_dict(mode))
