"""The search feedback loop: searches that found nothing, and results a specialist marked as
not what they needed, counted per query so admins see which words the directory is missing.

Only the query text is kept, and not even all of it: a specialist may type a caller's phone
number or paste a call id into the search box, so digit runs that look like a phone number and
Twilio call ids are scrubbed before anything is stored. No user, specialist, call or caller
is recorded with a count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from directory.models import SearchFeedback, Service

NO_RESULTS = "no_results"
WRONG_RESULT = "wrong_result"
KINDS = (NO_RESULTS, WRONG_RESULT)
MAX_QUERY = 200
MIN_QUERY = 3  # shorter is a search being typed, not a failed one
# Seven digits or more, with the separators people type in a phone number (+1 (416) 555-0199).
PHONE_LIKE = re.compile(r"\+?\(?\d(?:[\s().\-]*\d){6,}\)?")
# Twilio resource ids: two letters and 32 hex digits (CA... calls, ...).
TWILIO_SID = re.compile(r"\b[A-Za-z]{2}[0-9a-fA-F]{32}\b")
SCRUBBED = "#"


def clean_query(text: str) -> str:
    """The query as counted: phone numbers and call ids replaced by '#', case and spaces
    folded, so "Mortgage  arrears" and "mortgage arrears" count together."""
    text = TWILIO_SID.sub(SCRUBBED, text)
    text = PHONE_LIKE.sub(SCRUBBED, text)
    return " ".join(text.lower().split())[:MAX_QUERY]


def worth_counting(query: str) -> bool:
    """A query with something left to learn from once scrubbed (not a bare '#')."""
    return len(query.replace(SCRUBBED, "").strip()) >= MIN_QUERY


def record(db: Session, kind: str, query: str, at: datetime,
           service: tuple[str, str] = ("", "")) -> bool:
    """Count one failed search (in the caller's unit of work); False if not worth counting.

    An UPDATE of the row first (atomic under concurrent workers); when there is none yet,
    an INSERT in a savepoint, and if another worker inserted it meanwhile, the UPDATE again.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown feedback kind {kind!r}")
    cleaned = clean_query(query)
    if not worth_counting(cleaned):
        return False
    source, source_id = service
    if _bump(db, kind, cleaned, source, source_id, at):
        return True
    try:
        with db.begin_nested():
            db.add(SearchFeedback(kind=kind, query=cleaned, service_source=source,
                                  service_source_id=source_id, count=1, first_seen=at,
                                  last_seen=at))
    except IntegrityError:
        _bump(db, kind, cleaned, source, source_id, at)
    return True


def _bump(db: Session, kind: str, query: str, source: str, source_id: str, at: datetime) -> bool:
    result = db.execute(
        update(SearchFeedback)
        .where(SearchFeedback.kind == kind, SearchFeedback.query == query,
               SearchFeedback.service_source == source,
               SearchFeedback.service_source_id == source_id)
        .values(count=SearchFeedback.count + 1, last_seen=at)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class FeedbackRow:
    kind: str
    query: str
    service: str  # "source/source_id", empty for a search that found nothing
    service_name: str | None
    count: int
    last_seen: datetime


def listing(db: Session, limit: int = 500) -> list[FeedbackRow]:
    """The counted searches, most frequent first, then the most recent."""
    rows = db.execute(
        select(SearchFeedback, Service.name)
        .outerjoin(Service, (Service.source == SearchFeedback.service_source)
                   & (Service.source_id == SearchFeedback.service_source_id))
        .order_by(SearchFeedback.count.desc(), SearchFeedback.last_seen.desc(),
                  SearchFeedback.id)
        .limit(limit)).all()
    return [FeedbackRow(kind=f.kind, query=f.query,
                        service=f"{f.service_source}/{f.service_source_id}" if f.service_source
                        else "", service_name=name, count=f.count, last_seen=f.last_seen)
            for f, name in rows]
