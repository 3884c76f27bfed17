"""The one retention purge: follow-up numbers (survey) and call-record pseudonyms (privacy).

It needs no Redis: `flask privacy purge` (cron), the survey worker at start and its scheduled
purge job all run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from privacy.retention import caller_hash_retention, purge_caller_hashes
from survey import contacts


@dataclass(frozen=True)
class PurgeResult:
    numbers_erased: int
    caller_hashes_removed: int


def purge_all(db: Session, at: datetime) -> PurgeResult:
    return PurgeResult(numbers_erased=contacts.purge_expired(db, at),
                       caller_hashes_removed=purge_caller_hashes(db, at, caller_hash_retention()))
