"""The one retention purge: follow-up numbers (survey) and call-record pseudonyms (privacy).

It needs no Redis: `flask privacy purge` (cron), the survey worker at start and its scheduled
purge job all run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from config.clock import now
from config.database import session_scope
from privacy.retention import caller_hash_retention, purge_caller_hashes
from survey import contacts


@dataclass(frozen=True)
class PurgeResult:
    numbers_erased: int
    caller_hashes_removed: int

    def summary(self) -> str:
        return (f"erased {self.numbers_erased} phone number(s), removed "
                f"{self.caller_hashes_removed} caller pseudonym(s)")


def purge_all(db: Session, at: datetime) -> PurgeResult:
    return PurgeResult(numbers_erased=contacts.purge_expired(db, at),
                       caller_hashes_removed=purge_caller_hashes(db, at, caller_hash_retention()))


def purge_now(app: Any) -> PurgeResult:
    """The purge as one unit of work (for the CLIs), committed by `session_scope`."""
    with session_scope(app) as db:
        return purge_all(db, now())
