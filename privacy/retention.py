"""How long a call record keeps its caller pseudonym (`CALLER_HASH_RETENTION_DAYS`).

`survey.retention.purge_all` runs this together with the erasure of follow-up numbers;
`flask privacy purge` runs that (for cron), and so does the survey worker when it starts and
its scheduled purge job. None of it needs Redis.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from ivr.models import CallRecord


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

