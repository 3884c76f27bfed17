"""Opening, checking and saving a call's contact record: who may, what completion needs, the lock.

Only the call's specialist, a supervisor or an admin may open or change a record. A record
can be saved as a draft at any time; completing it requires every need to be coded and
settled (met, or unmet with a reason), a call type, and a due date for a wanted follow-up.
`locks_at` (the call's end plus `contact_lock_hours`) closes it to its specialist; after that
a supervisor or admin may still correct it, giving a reason, and each such edit is audited.
Completion measures the wrap-up: from the end of the call to the record's completion.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ADMIN, SUPERVISOR, User
from config.extensions import deployment
from directory.models import Referral, Service
from ivr.access import may_work_on
from ivr.models import CallRecord
from needs.models import STATUS_COMPLETE, STATUS_DRAFT, ContactNeed, ContactRecord, ContactRecordAudit
from needs.schema import RecordIn
from needs.taxonomy import Taxonomy

RECORD_FIELDS = ("fsa", "age_group", "call_type", "follow_up", "follow_up_due", "status")


class NotAllowed(Exception):
    """The user may not open or change this record (403), with the reason to show."""


def may_edit(user: User, call: CallRecord) -> bool:
    return may_work_on(user, call)


def call_referrals(db: Session, call_sid: str) -> list[dict[str, Any]]:
    rows = db.execute(select(Referral, Service).join(Service, Referral.service_id == Service.id)
                      .where(Referral.call_sid == call_sid).order_by(Referral.id)).all()
    return [{"id": r.id, "service_name": s.name, "service_id": s.source_id, "need": r.need}
            for r, s in rows]


def prefilled_needs(call: CallRecord, referrals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The menu's need as a first coded need (its taxonomy group), met by its referrals so far."""
    need = deployment().need(call.need or "")
    if need is None or not need.taxonomy:
        return []
    given = [r["id"] for r in referrals if r["need"] == call.need]
    return [{"code": need.taxonomy[0], "outcome": "met" if given else None,
             "referral_ids": given, "reason": None, "note": None}]


def is_locked(record: ContactRecord | None, now: datetime) -> bool:
    return record is not None and now >= record.locks_at


def record_json(db: Session, call: CallRecord, record: ContactRecord | None, taxonomy: Taxonomy,
                user: User, now: datetime) -> dict[str, Any]:
    referrals = call_referrals(db, call.call_sid)
    if record is None:
        needs = prefilled_needs(call, referrals)
        body: dict[str, Any] = {"exists": False, "status": STATUS_DRAFT, "fsa": None,
                                "age_group": None, "call_type": None, "follow_up": False,
                                "follow_up_due": None, "completed_at": None,
                                "wrap_up_seconds": None, "locks_at": None}
    else:
        needs = [need_json(n) for n in record.needs]
        body = {"exists": True, "status": record.status, "fsa": record.fsa,
                "age_group": record.age_group, "call_type": record.call_type,
                "follow_up": record.follow_up,
                "follow_up_due": record.follow_up_due.isoformat() if record.follow_up_due else None,
                "completed_at": record.completed_at.isoformat() if record.completed_at else None,
                "wrap_up_seconds": record.wrap_up_seconds, "locks_at": record.locks_at.isoformat()}
    locked = is_locked(record, now)
    for need in needs:
        need["name"] = taxonomy.name(need["code"])
    return {**body, "call_sid": call.call_sid, "language": call.language, "region": call.region,
            "menu_need": call.need, "needs": needs, "referrals": referrals, "locked": locked,
            "can_edit": may_edit(user, call) and (not locked or user.role in (ADMIN, SUPERVISOR))}


def need_json(need: ContactNeed) -> dict[str, Any]:
    outcome = None if need.met is None else "met" if need.met else "unmet"
    return {"code": need.taxonomy_code, "outcome": outcome, "referral_ids": list(need.referral_ids),
            "reason": need.unmet_reason, "note": need.note}


def check(body: RecordIn, taxonomy: Taxonomy, referral_ids: set[int], complete: bool) -> dict[str, str]:
    """What the database and completion require, as field errors (empty when all is well)."""
    errors: dict[str, str] = {}
    for i, need in enumerate(body.needs):
        at = f"needs.{i}"
        if need.code not in taxonomy:
            errors[f"{at}.code"] = f"{need.code} is not a taxonomy code; choose one from the list"
        unknown = sorted(set(need.referral_ids) - referral_ids)
        if unknown:
            errors[f"{at}.referral_ids"] = "only referrals given on this call can meet a need"
        if need.outcome == "unmet" and need.referral_ids:
            errors.setdefault(f"{at}.referral_ids", "an unmet need has no referral meeting it")
        if need.outcome != "unmet" and need.reason:
            errors[f"{at}.reason"] = "a reason is given only for an unmet need"
        if need.reason == "other" and not need.note:
            errors[f"{at}.note"] = "say in the note why the need went unmet"
        if complete and need.outcome is None:
            errors[f"{at}.outcome"] = "say whether the need was met or unmet"
        if complete and need.outcome == "unmet" and not need.reason:
            errors[f"{at}.reason"] = "choose why the need went unmet"
    if body.follow_up_due and not body.follow_up:
        errors["follow_up_due"] = "a due date is for a wanted follow-up; tick follow-up"
    if complete:
        if not body.needs:
            errors["needs"] = "code at least one need to complete the record"
        if not body.call_type:
            errors["call_type"] = "choose the call type"
        if body.follow_up and not body.follow_up_due:
            errors["follow_up_due"] = "give the date the follow-up is due"
    return errors


def snapshot(record: ContactRecord) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(record, name) for name in RECORD_FIELDS}
    values["follow_up_due"] = values["follow_up_due"].isoformat() if values["follow_up_due"] else None
    values["needs"] = [need_json(n) for n in record.needs]
    return values


def _new_record(call: CallRecord, user: User, now: datetime, lock_hours: int, tz: str) -> ContactRecord:
    closed = call.ended_at or call.answered_at or call.started_at
    return ContactRecord(
        call_sid=call.call_sid, specialist_id=call.specialist_id, created_by=user.id,
        status=STATUS_DRAFT, language=call.interpreter_language or call.language,
        region=call.region, menu_need=call.need,
        call_date=call.started_at.astimezone(ZoneInfo(tz)).date(),
        created_at=now, updated_at=now, locks_at=closed + timedelta(hours=lock_hours),
        needs=[])


def _apply(record: ContactRecord, body: RecordIn, complete: bool, call: CallRecord,
           now: datetime) -> None:
    record.fsa, record.age_group, record.call_type = body.fsa, body.age_group, body.call_type
    record.follow_up, record.follow_up_due = body.follow_up, body.follow_up_due
    record.updated_at = now
    if complete and record.status != STATUS_COMPLETE:
        record.status, record.completed_at = STATUS_COMPLETE, now
        record.call_ended_at = call.ended_at
        # Completed while the call was still on (no end yet): no wrap-up time after it.
        ended = call.ended_at or now
        record.wrap_up_seconds = max(0, round((now - ended).total_seconds()))
    record.needs = [ContactNeed(
        position=i, taxonomy_code=need.code,
        met=None if need.outcome is None else need.outcome == "met",
        unmet_reason=need.reason, note=need.note, referral_ids=sorted(set(need.referral_ids)),
        call_date=record.call_date, month=record.call_date.strftime("%Y-%m"), region=record.region,
        fsa=record.fsa, complete=record.status == STATUS_COMPLETE) for i, need in enumerate(body.needs)]


def save(db: Session, call: CallRecord, body: RecordIn, taxonomy: Taxonomy, user: User,
         now: datetime, lock_hours: int, tz: str) -> tuple[ContactRecord | None, dict[str, str]]:
    """Check and store the record; (record, {}) or (None, field errors). The caller commits."""
    if not may_edit(user, call):
        raise NotAllowed("this call was taken by another specialist; only they or a supervisor "
                         "may write its contact record")
    record = db.scalar(select(ContactRecord).where(ContactRecord.call_sid == call.call_sid))
    locked = is_locked(record, now)
    if locked and user.role not in (ADMIN, SUPERVISOR):
        raise NotAllowed("this contact record is locked; ask a supervisor to correct it")
    if locked and not (body.edit_reason or "").strip():
        return None, {"edit_reason": "the record is locked: say why you are changing it "
                                     "(the change is audited)"}
    complete = body.complete or (record is not None and record.status == STATUS_COMPLETE)
    referral_ids = {r["id"] for r in call_referrals(db, call.call_sid)}
    errors = check(body, taxonomy, referral_ids, complete)
    if errors:
        return None, errors
    if record is None:
        record = _new_record(call, user, now, lock_hours, tz)
        db.add(record)
    before = snapshot(record) if locked else None
    _apply(record, body, complete, call, now)
    if before is not None:
        after = snapshot(record)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        db.flush()
        db.add(ContactRecordAudit(record_id=record.id, user_id=user.id, at=now,
                                  reason=(body.edit_reason or "").strip(), changes=changes))
    return record, {}
