"""Callbacks: a caller on hold keeps their place and is called back (issue 15).

The lifecycle of a `ivr.models.Callback` row: offered (heard "press 1") -> confirming (a
keyed number awaiting the caller's yes) -> owed (confirmed; the caller left the queue) ->
dialing (a specialist claimed it; the callee is being called) -> connected (the callee
pressed the key) -> completed; or, after `callback_attempts` tries spaced by
`callback_retry_seconds`, failed. Completing or giving up erases the number (NULL); so does
a caller who never confirmed one.

The claim is atomic across workers twice over: a counter in the shared store (INCR, Redis
in production) that only one specialist's leg can take to 1 for a callback's attempt, and
a conditional UPDATE of the row (status still owed) that only one transaction can win.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import phonenumbers
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from config.shared_store import SharedStore
from ivr.models import (
    CB_CANCELLED,
    CB_COMPLETED,
    CB_CONFIRMING,
    CB_CONNECTED,
    CB_DIALING,
    CB_FAILED,
    CB_OFFERED,
    CB_OWED,
    Callback,
)
from ivr.session import CallSession

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=10)  # a claim whose dial never reported back is free again
CLAIM_TTL = int(CLAIM_LEASE.total_seconds())
CANDIDATES = 5  # owed callbacks looked at per claim (a lost race moves to the next)


def nanp(raw: str | None) -> str | None:
    """The E.164 form of a valid North American (+1) number, else None."""
    digits = "".join(ch for ch in (raw or "") if ch.isdigit() or ch == "+")
    try:
        parsed = phonenumbers.parse(digits, "CA")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 1 or not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def spoken_digits(e164: str) -> str:
    """'+14165550123' -> '4 1 6, 5 5 5, 0 1 2 3': read back a digit at a time."""
    national = e164[-10:]
    return ", ".join(" ".join(part) for part in (national[:3], national[3:6], national[6:]))


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def find(db: Session, call_sid: str) -> Callback | None:
    return db.scalar(select(Callback).where(Callback.call_sid == call_sid)) if call_sid else None


def get(db: Session, callback_id: int) -> Callback | None:
    return db.get(Callback, callback_id)


def offered(db: Session, call: CallSession, at: datetime) -> Callback:
    """The call's callback row, made at its first offer (so reports count offers)."""
    found = find(db, call.call_sid)
    if found is not None:
        return found
    joined = datetime.fromtimestamp(call.enqueued_at, UTC) if call.enqueued_at else _utc(at)
    row = Callback(call_sid=call.call_sid, caller_hash=call.caller_hash,
                   provider=call.provider or "", language=call.language, region=call.region,
                   need=call.need, status=CB_OFFERED, joined_at=joined, offered_at=_utc(at),
                   attempts=0)
    db.add(row)
    db.flush()
    return row


def keep_keyed(row: Callback, number: str) -> None:
    """A keyed number, valid, kept only until the caller confirms it (or does not)."""
    row.status, row.number, row.number_source = CB_CONFIRMING, number, "keyed"


def accept(row: Callback, number: str, source: str, at: datetime) -> None:
    """The caller confirmed `number`: the callback is owed, in its place in line."""
    row.status, row.number, row.number_source = CB_OWED, number, source
    row.accepted_at, row.next_attempt_at = _utc(at), _utc(at)


def cancel(row: Callback, at: datetime) -> None:
    """The caller stays in the queue: nothing owed, and no number kept."""
    if row.status in (CB_OFFERED, CB_CONFIRMING):
        row.status, row.number, row.ended_at = CB_CANCELLED, None, _utc(at)


@dataclass(frozen=True)
class Claimed:
    id: int
    attempt: int
    language: str
    region: str | None
    need: str | None
    accepted_at: datetime | None


def claim_next(db: Session, store: SharedStore, provider: str, head_joined: float | None,
               specialist_id: int | None, at: datetime) -> Claimed | None:
    """The oldest owed callback of `provider` that joined before the head of the Twilio
    queue (`head_joined`, epoch seconds; None: nobody holding), claimed for this specialist.

    Read, then claimed: the store counter picks one winner per (callback, attempt) among
    concurrent specialists, and the UPDATE only succeeds while the row is still owed.
    """
    now = _utc(at)
    stmt = (select(Callback).where(
        Callback.provider == provider,
        or_(Callback.status == CB_OWED,
            (Callback.status == CB_DIALING) & (Callback.claimed_at < now - CLAIM_LEASE)),
        or_(Callback.next_attempt_at.is_(None), Callback.next_attempt_at <= now))
        .order_by(Callback.joined_at, Callback.id).limit(CANDIDATES))
    if head_joined is not None:
        stmt = stmt.where(Callback.joined_at < datetime.fromtimestamp(head_joined, UTC))
    for row in db.scalars(stmt).all():
        attempt = row.attempts + 1
        if store.incr(f"cbclaim:{row.id}:{attempt}", ttl=CLAIM_TTL) != 1:
            continue  # another specialist's leg took this attempt
        won = db.execute(update(Callback).where(
            Callback.id == row.id, Callback.attempts == row.attempts,
            Callback.status.in_((CB_OWED, CB_DIALING)))
            .values(status=CB_DIALING, attempts=attempt, claimed_at=now,
                    specialist_id=specialist_id, last_result=None)
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if won:
            db.refresh(row)
            return Claimed(row.id, attempt, row.language, row.region, row.need, row.accepted_at)
    return None


def connected(db: Session, callback_id: int, callee_sid: str, at: datetime) -> Callback | None:
    """The callee pressed the key: they are being bridged to the specialist."""
    row = get(db, callback_id)
    if row is None or row.status not in (CB_DIALING, CB_CONNECTED):
        return None
    row.status, row.callback_call_sid, row.connected_at = CB_CONNECTED, callee_sid, _utc(at)
    return row


def attempt_ended(db: Session, callback_id: int, result: str, at: datetime,
                  attempts_allowed: int, retry_seconds: int) -> str:
    """The specialist's wait for the callee ended; what became of the callback:
    'completed', 'retry' (owed again after the spacing) or 'failed' (tries used up)."""
    row = get(db, callback_id)
    if row is None:
        return "unknown"
    now = _utc(at)
    if row.status == CB_CONNECTED:
        row.status, row.number, row.ended_at, row.last_result = CB_COMPLETED, None, now, "connected"
        return "completed"
    if row.status != CB_DIALING:
        return row.status
    row.last_result = result[:24]
    if row.attempts >= attempts_allowed:
        row.status, row.number, row.ended_at = CB_FAILED, None, now
        return "failed"
    row.status, row.next_attempt_at = CB_OWED, now + timedelta(seconds=retry_seconds)
    return "retry"


def note_result(db: Session, callback_id: int, result: str) -> None:
    """What the callee's leg reported (no-answer, busy, machine...), for the next try."""
    row = get(db, callback_id)
    if row is not None and row.status == CB_DIALING:
        row.last_result = result[:24]


def next_due(db: Session, provider: str) -> datetime | None:
    """When the provider's next owed callback falls due (a retry waiting out its spacing)."""
    return db.scalar(select(Callback.next_attempt_at).where(
        Callback.provider == provider, Callback.status == CB_OWED)
        .order_by(Callback.next_attempt_at).limit(1))


def give_up_stale(db: Session, at: datetime, older_than: timedelta = timedelta(hours=12)) -> int:
    """Callbacks still open long after they were accepted (the line closed, nobody dialled
    in) are given up, and their numbers erased; unconfirmed numbers too. For the sweep."""
    cutoff = _utc(at) - older_than
    done = 0
    for row in db.scalars(select(Callback).where(
            Callback.status.in_((CB_OWED, CB_DIALING, CB_CONFIRMING)),
            Callback.offered_at < cutoff)).all():
        row.status = CB_FAILED if row.status != CB_CONFIRMING else CB_CANCELLED
        row.number, row.ended_at, row.last_result = None, _utc(at), "stale"
        done += 1
    return done
