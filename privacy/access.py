"""Callers' access requests: what we hold about a number (export) and its erasure (erase).

We never keep the number with a call, only its pseudonym under the key of the call's period
(`config.pseudonym`), so a request is answered by hashing the number under every period key
still inside the retention windows (call records: `CALLER_HASH_RETENTION_DAYS`; follow-up
contacts: the follow-up retention) and looking those up. A follow-up contact still open also
holds the number itself, which is matched too.

Erasure keeps what the figures need and nothing that links them to the person: call records
lose their pseudonym (times, region, need, result stay), survey answers are detached from the
call (a fresh random id per call: they still count, and can no longer be joined to the call,
its referrals or its record), contact-record notes (free text) are cleared, and follow-up
contacts are deleted; callbacks lose their number and pseudonym, and one still owed is
cancelled. A call's interpreter sessions, holds and transfers stay (they hold no more than
the call's record does), except a transfer's dialled number, which is cleared: it may be
one the caller gave. Both requests are audited in `privacy_requests` (who, when, the counts;
never the number or its pseudonyms).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from config.pseudonym import CallerHasher, canonical_number
from directory.models import Referral, Service
from ivr.models import (
    CB_CANCELLED,
    CB_COMPLETED,
    CB_FAILED,
    Callback,
    CallRecord,
    CallTransfer,
    InterpreterSession,
)
from needs.models import ContactNeed, ContactRecord
from privacy.models import PrivacyRequest
from survey.models import FollowUpContact, SurveyAnswer

CALL_FIELDS = ("call_sid", "started_at", "ended_at", "language", "interpreter_language", "region",
               "need", "provider", "result", "queue_seconds", "talk_seconds", "overflowed",
               "crisis", "crisis_via", "hold_seconds")
INTERPRETER_FIELDS = ("call_sid", "vendor", "language", "started_at", "ended_at", "minutes")
TRANSFER_FIELDS = ("call_sid", "kind", "target_kind", "target", "outcome", "at", "ended_at")
ERASED_TARGET = "erased"
CALLBACK_FIELDS = ("call_sid", "status", "region", "offered_at", "accepted_at", "attempts",
                   "connected_at", "ended_at")
CONTACT_FIELDS = ("call_sid", "channel", "status", "language", "call_date", "attempts",
                  "created_at", "next_attempt_at", "finished_at")


@dataclass
class Holdings:
    """Everything found for one number, as rows of the tables that hold it."""

    calls: list[CallRecord] = field(default_factory=list)
    contacts: list[FollowUpContact] = field(default_factory=list)
    answers: list[SurveyAnswer] = field(default_factory=list)
    referrals: list[tuple[Referral, Service]] = field(default_factory=list)
    records: list[ContactRecord] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    interpreters: list[InterpreterSession] = field(default_factory=list)
    transfers: list[CallTransfer] = field(default_factory=list)

    @property
    def call_sids(self) -> list[str]:
        return sorted({c.call_sid for c in self.calls} | {c.call_sid for c in self.contacts}
                      | {c.call_sid for c in self.callbacks}
                      | {c.callback_call_sid for c in self.callbacks if c.callback_call_sid})

    def counts(self) -> dict[str, int]:
        return {"calls": len(self.calls), "follow_up_contacts": len(self.contacts),
                "survey_answers": len(self.answers), "referrals": len(self.referrals),
                "contact_records": len(self.records), "callbacks": len(self.callbacks),
                "interpreter_sessions": len(self.interpreters), "transfers": len(self.transfers)}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def find(db: Session, hasher: CallerHasher, number: str, at: datetime,
         calls_window: timedelta, contacts_window: timedelta) -> Holdings:
    """Every row held about `number` now: by its pseudonym under each period key of the
    windows, and (open follow-ups) by the number itself."""
    canonical = canonical_number(number)
    window = max(calls_window, contacts_window)
    digests = hasher.digests_within(canonical, at, window)
    found = Holdings()
    found.calls = list(db.scalars(select(CallRecord).where(CallRecord.caller_hash.in_(digests))
                                  .order_by(CallRecord.started_at)))
    found.contacts = list(db.scalars(select(FollowUpContact).where(or_(
        FollowUpContact.phone == canonical, FollowUpContact.phone_hash.in_(digests)))
        .order_by(FollowUpContact.created_at)))
    found.callbacks = list(db.scalars(select(Callback).where(or_(
        Callback.number == canonical, Callback.caller_hash.in_(digests)))
        .order_by(Callback.offered_at)))
    sids = found.call_sids
    if sids:
        found.answers = list(db.scalars(select(SurveyAnswer).where(SurveyAnswer.call_sid.in_(sids))
                                        .order_by(SurveyAnswer.call_sid, SurveyAnswer.id)))
        found.referrals = [(r, s) for r, s in db.execute(
            select(Referral, Service).join(Service, Referral.service_id == Service.id)
            .where(Referral.call_sid.in_(sids)).order_by(Referral.id))]
        found.records = list(db.scalars(select(ContactRecord)
                                        .where(ContactRecord.call_sid.in_(sids))))
        found.interpreters = list(db.scalars(select(InterpreterSession).where(
            InterpreterSession.call_sid.in_(sids)).order_by(InterpreterSession.started_at)))
        found.transfers = list(db.scalars(select(CallTransfer).where(
            CallTransfer.call_sid.in_(sids)).order_by(CallTransfer.at)))
    return found


def export(found: Holdings) -> dict[str, Any]:
    """What we hold, in a form to hand to the person (no pseudonyms: they mean nothing to them)."""
    return {
        "calls": [{k: _plain(getattr(c, k)) for k in CALL_FIELDS} for c in found.calls],
        "follow_up_contacts": [{**{k: _plain(getattr(c, k)) for k in CONTACT_FIELDS},
                                "number_held": c.phone is not None} for c in found.contacts],
        "survey_answers": [{"call_sid": a.call_sid, "survey": a.survey, "question": a.question,
                            "value": a.value, "answered_at": _plain(a.answered_at),
                            "channel": a.channel} for a in found.answers],
        "referrals": [{"call_sid": r.call_sid, "service": s.name, "need": r.need,
                       "created_at": _plain(r.created_at)} for r, s in found.referrals],
        "contact_records": [{"call_sid": r.call_sid, "status": r.status, "fsa": r.fsa,
                             "age_group": r.age_group, "call_type": r.call_type,
                             "needs": [{"code": n.taxonomy_code, "met": n.met,
                                        "unmet_reason": n.unmet_reason, "note": n.note}
                                       for n in r.needs]} for r in found.records],
        "callbacks": [{**{k: _plain(getattr(c, k)) for k in CALLBACK_FIELDS},
                       "number_held": c.number is not None} for c in found.callbacks],
        "interpreter_sessions": [{k: _plain(getattr(i, k)) for k in INTERPRETER_FIELDS}
                                 for i in found.interpreters],
        "transfers": [{k: _plain(getattr(t, k)) for k in TRANSFER_FIELDS}
                      for t in found.transfers],
    }


def erase(db: Session, found: Holdings) -> None:
    """Unlink everything found from the person; the figures stay countable."""
    call_ids = [c.id for c in found.calls]
    if call_ids:
        db.execute(update(CallRecord).where(CallRecord.id.in_(call_ids)).values(caller_hash=None)
                   .execution_options(synchronize_session=False))
    for sid in found.call_sids:
        db.execute(update(SurveyAnswer).where(SurveyAnswer.call_sid == sid)
                   .values(call_sid=f"erased-{secrets.token_hex(12)}")
                   .execution_options(synchronize_session=False))
    record_ids = [r.id for r in found.records]
    if record_ids:
        db.execute(update(ContactNeed).where(ContactNeed.record_id.in_(record_ids)).values(note=None)
                   .execution_options(synchronize_session=False))
    for callback in found.callbacks:  # no number kept, nothing owed any more, no pseudonym
        if callback.status not in (CB_COMPLETED, CB_FAILED):
            callback.status = CB_CANCELLED
        callback.number, callback.caller_hash, callback.last_result = None, None, "erased"
    for transfer in found.transfers:  # a number dialled for the caller may be theirs
        if transfer.target_kind == "number":
            transfer.target = ERASED_TARGET
    contact_ids = [c.id for c in found.contacts]
    if contact_ids:
        db.execute(delete(FollowUpContact).where(FollowUpContact.id.in_(contact_ids))
                   .execution_options(synchronize_session=False))


def audit(db: Session, kind: str, at: datetime, operator: str, reference: str | None,
          found: Holdings) -> PrivacyRequest:
    entry = PrivacyRequest(kind=kind, at=at.astimezone(UTC), operator=operator[:120],
                           reference=(reference or None) and reference[:120], found=found.counts())
    db.add(entry)
    return entry
