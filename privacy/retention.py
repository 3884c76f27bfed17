"""How long what we know about a caller is kept, enforced by one purge that needs no Redis.

Two things expire: the raw numbers of follow-up contacts (`FollowUpPolicy.retention`, 30
days) and the pseudonyms on call records (`CALLER_HASH_RETENTION_DAYS`). `purge_all` removes
both; `flask privacy purge` runs it (for cron), and so does the survey worker when it starts
and its scheduled purge job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from ivr.models import CallRecord
from survey import contacts


@dataclass(frozen=True)
class PurgeResult:
    numbers_erased: int
    caller_hashes_removed: int


def purge_caller_hashes(db: Session, at: datetime, retention: timedelta) -> int:
    """Call records older than the retention keep their figures but lose their pseudonym."""
    cutoff = (at - retention).astimezone(UTC)
    stmt = (update(CallRecord)
            .where(CallRecord.caller_hash.is_not(None), CallRecord.started_at <= cutoff)
            .values(caller_hash=None)
            .execution_options(synchronize_session=False))
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]


def caller_hash_retention() -> timedelta:
    return timedelta(days=current_app.extensions["settings"].caller_hash_retention_days)


def purge_all(db: Session, at: datetime) -> PurgeResult:
    return PurgeResult(numbers_erased=contacts.purge_expired(db, at),
                       caller_hashes_removed=purge_caller_hashes(db, at, caller_hash_retention()))
