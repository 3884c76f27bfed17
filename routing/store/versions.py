"""Draft, validate, publish, roll back: the life of a rule set in the database.

There is one draft. Publishing validates it and writes the next version number; versions
are never changed (rolling back to version N publishes a copy of N as a new version), so the
version list is the history. Every write is audited with a diff. Nothing here commits: the
boundary (a view, the CLI, the cache's first load) commits once, then calls `rules_changed`,
which bumps the counter in the shared store so every worker loads the new set before its next
call.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.ontario import Deployment
from config.shared_store import SharedStore
from config.versioned_cache import bump
from routing.engine.default_rules import default_document
from routing.engine.validation import Report, validate
from routing.store import audit
from routing.store.models import RuleSetDraft, RuleSetVersion

VERSION_KEY = "routing:rules:version"
DRAFT_ID = 1

# Where `routing.service.published()` keeps the rule set for the rest of a request.
REQUEST_KEY = "routing_published"


class PublishRefused(ValueError):
    """The draft (or the version rolled back to) does not validate; `report` says why."""

    def __init__(self, report: Report) -> None:
        listed = "; ".join(p.message for p in report.errors[:5])
        more = report.error_count - min(5, len(report.errors))
        super().__init__(listed + (f"; and {more} more problem(s)" if more else ""))
        self.report = report


def rules_changed(store: SharedStore) -> None:
    """Call after any publish or rollback so every worker reloads before its next call."""
    bump(store, VERSION_KEY)
    if has_request_context():
        g.pop(REQUEST_KEY, None)  # this request, too, sees the new version from here on


def latest_version(db: Session) -> RuleSetVersion | None:
    return db.scalar(select(RuleSetVersion).order_by(RuleSetVersion.number.desc()).limit(1))


def get_version(db: Session, number: int) -> RuleSetVersion | None:
    return db.scalar(select(RuleSetVersion).where(RuleSetVersion.number == number))


def list_versions(db: Session) -> list[RuleSetVersion]:
    return list(db.scalars(select(RuleSetVersion).order_by(RuleSetVersion.number.desc())))


def draft_document(db: Session) -> tuple[dict[str, Any], int | None]:
    """The draft, else a copy of the published set, else the default set; and its base version."""
    draft = db.get(RuleSetDraft, DRAFT_ID)
    if draft is not None:
        return copy.deepcopy(draft.document), draft.base_number
    latest = latest_version(db)
    if latest is not None:
        return copy.deepcopy(latest.document), latest.number
    return default_document(), None


def save_draft(db: Session, doc: dict[str, Any], actor: str, at: datetime,
               action: str = "draft.save") -> RuleSetDraft:
    """Store the draft (any content: validation happens at publish) and audit the diff."""
    before, base = draft_document(db)
    draft = db.get(RuleSetDraft, DRAFT_ID)
    if draft is None:
        draft = RuleSetDraft(id=DRAFT_ID, base_number=base)
        db.add(draft)
    draft.document, draft.updated_at, draft.updated_by = copy.deepcopy(doc), at, actor
    audit.record(db, at, actor, action, "draft", before, doc)
    return draft


def discard_draft(db: Session, actor: str, at: datetime) -> None:
    draft = db.get(RuleSetDraft, DRAFT_ID)
    if draft is not None:
        before = draft.document
        db.delete(draft)
        latest = latest_version(db)
        audit.record(db, at, actor, "draft.discard", "draft", before,
                     latest.document if latest else None)


def _write_version(db: Session, doc: dict[str, Any], actor: str, at: datetime, note: str,
                   source: int | None) -> RuleSetVersion:
    number = int(db.scalar(select(func.max(RuleSetVersion.number))) or 0) + 1
    version = RuleSetVersion(number=number, document=copy.deepcopy(doc), note=note[:500],
                             published_at=at, published_by=actor, source_number=source)
    db.add(version)
    db.flush()  # the unique number makes a concurrent publish fail here, not silently
    return version


def publish(db: Session, dep: Deployment, actor: str, at: datetime, note: str = "") -> RuleSetVersion:
    """Validate the draft and publish it as the next version; refuses with the report.

    The caller commits, then calls `rules_changed` (as for `rollback` and `seed`)."""
    doc, _base = draft_document(db)
    report = validate(doc, dep)
    if not report.ok:
        raise PublishRefused(report)
    previous = latest_version(db)
    version = _write_version(db, doc, actor, at, note, None)
    audit.record(db, at, actor, "publish", f"version {version.number}",
                 previous.document if previous else None, doc, summary=note)
    draft = db.get(RuleSetDraft, DRAFT_ID)
    if draft is not None:
        db.delete(draft)  # the next edit starts from what is now live
    return version


def rollback(db: Session, dep: Deployment, number: int, actor: str, at: datetime) -> RuleSetVersion:
    """Publish a copy of version `number` as the newest version (history is never rewritten)."""
    target = get_version(db, number)
    if target is None:
        raise LookupError(f"no version {number}")
    report = validate(target.document, dep)
    if not report.ok:
        raise PublishRefused(report)
    previous = latest_version(db)
    version = _write_version(db, target.document, actor, at, f"rollback to version {number}", number)
    audit.record(db, at, actor, "rollback", f"version {version.number} (copy of {number})",
                 previous.document if previous else None, target.document,
                 summary=f"rolled back to version {number}")
    return version


def seed(db: Session, at: datetime, actor: str = "system") -> RuleSetVersion:
    """Publish the default Ontario set as version 1 if nothing is published yet.

    Call it on a session of its own: when another worker seeded at the same moment, the
    session is rolled back and that worker's version returned."""
    existing = latest_version(db)
    if existing is not None:
        return existing
    try:
        version = _write_version(db, default_document(), actor, at, "default Ontario rule set", None)
        audit.record(db, at, actor, "seed", "version 1", None, version.document,
                     summary="published the default Ontario rule set")
    except IntegrityError:  # another worker seeded at the same moment
        db.rollback()
        found = latest_version(db)
        if found is None:
            raise
        return found
    return version


def rules_document(db: Session, which: str) -> tuple[dict[str, Any], int | None, str]:
    """The document to test: 'draft', 'published' or a version number."""
    if which == "draft":
        doc, base = draft_document(db)
        return doc, base, "draft"
    version = latest_version(db) if which == "published" else (
        get_version(db, int(which)) if which.isdigit() else None)
    if version is None:
        raise LookupError(f"no rule set '{which}' (use draft, published or a version number)")
    return version.document, version.number, f"version {version.number}"


def version_dict(version: RuleSetVersion, with_document: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": version.number, "note": version.note, "published_by": version.published_by,
        "published_at": version.published_at.isoformat(), "source_number": version.source_number,
    }
    if with_document:
        data["document"] = version.document
    return data
