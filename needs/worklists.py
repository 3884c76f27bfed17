"""The lists staff work from: specialists' follow-ups due, supervisors' calls lacking a record."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accounts.models import ADMIN, SUPERVISOR, User
from ivr.models import CallRecord, Specialist
from needs.models import STATUS_DRAFT, ContactRecord

LIST_LIMIT = 500


def follow_ups(db: Session, user: User, today: Any) -> list[dict[str, Any]]:
    """Open follow-ups, soonest due first: the user's own, or everyone's for a supervisor."""
    stmt = (select(ContactRecord, Specialist.name)
            .outerjoin(Specialist, Specialist.id == ContactRecord.specialist_id)
            .where(ContactRecord.follow_up.is_(True), ContactRecord.follow_up_done_at.is_(None))
            .order_by(ContactRecord.follow_up_due, ContactRecord.id).limit(LIST_LIMIT))
    if user.role not in (ADMIN, SUPERVISOR):
        stmt = stmt.where(ContactRecord.specialist_id == user.specialist_id)
    return [{"call_sid": r.call_sid, "specialist": name, "region": r.region, "fsa": r.fsa,
             "due": r.follow_up_due.isoformat() if r.follow_up_due else None,
             "overdue": bool(r.follow_up_due and r.follow_up_due < today),
             "needs": [n.taxonomy_code for n in r.needs], "status": r.status}
            for r, name in db.execute(stmt)]


def incomplete(db: Session, now: datetime, days: int = 30) -> list[dict[str, Any]]:
    """Answered calls of the last `days` days with no contact record, or only a draft."""
    stmt = (select(CallRecord, ContactRecord.status, Specialist.name)
            .outerjoin(ContactRecord, ContactRecord.call_sid == CallRecord.call_sid)
            .outerjoin(Specialist, Specialist.id == CallRecord.specialist_id)
            .where(CallRecord.answered_at.is_not(None),
                   CallRecord.answered_at >= now - timedelta(days=days),
                   or_(ContactRecord.id.is_(None), ContactRecord.status == STATUS_DRAFT))
            .order_by(CallRecord.answered_at.desc()).limit(LIST_LIMIT))
    return [{"call_sid": call.call_sid,
             "answered_at": call.answered_at.isoformat() if call.answered_at else None,
             "specialist": name, "specialist_id": call.specialist_id, "region": call.region,
             "need": call.need, "record": status or "none"}
            for call, status, name in db.execute(stmt)]
