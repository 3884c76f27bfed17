"""Consented follow-up contacts: created at consent, closed when done, erased without fail.

The raw number lives only in `FollowUpContact.phone`. It is erased (with its hash) when the
outcome survey is done, when the caller says stop or no, when all attempts go unanswered,
and at the latest `policy.retention` after consent, by `purge_expired` (a job and a CLI).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

import phonenumbers
from flask import current_app
from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from config.extensions import caller_hasher
from survey.answers import CallContext, insert_ignore
from survey.definition import current
from survey.models import (
    CONTACT_EXPIRED,
    CONTACT_SCHEDULED,
    OPEN_STATUSES,
    FollowUpContact,
)
from survey.policy import FollowUpPolicy, next_allowed

log = logging.getLogger(__name__)
OUTCOME_SURVEY = "outcome"


def policy() -> FollowUpPolicy:
    return current_app.extensions.get("survey_policy") or FollowUpPolicy()


def e164(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, "CA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_hash(number: str, at: datetime) -> str | None:
    """The contact's pseudonym under the key of the period it was consented in."""
    return caller_hasher().digest(number, at)


def give_consent(db: Session, context: CallContext, channel: str, raw_from: str,
                 at: datetime) -> FollowUpContact | None:
    """Keep the number Twilio posted (once per call); returns the contact only when it is new.

    Scheduling the attempts is the caller's business (`survey.hook`), so this module does not
    depend on the job queue.
    """
    number = e164(raw_from)
    if number is None:  # withheld or unusable caller ID: nothing to follow up on
        log.info("consent given but no usable number for the call")
        return None
    rules = policy()
    first = next_allowed(at + rules.delay, rules)
    added = insert_ignore(db, FollowUpContact, {
        "token": secrets.token_urlsafe(24), "call_sid": context.call_sid, "channel": channel,
        "phone": number, "phone_hash": phone_hash(number, at), "language": context.language,
        "region": context.region, "provider": context.provider, "call_date": context.call_date,
        "definition_version": current(OUTCOME_SURVEY).version, "status": CONTACT_SCHEDULED,
        "attempts": 0, "created_at": at.astimezone(UTC), "next_attempt_at": first.astimezone(UTC),
    }, ["call_sid"])
    contact = db.scalar(select(FollowUpContact).where(FollowUpContact.call_sid == context.call_sid))
    return contact if added else None


def erase(contact: FollowUpContact, at: datetime) -> None:
    contact.phone = None
    contact.phone_hash = None
    contact.erased_at = at.astimezone(UTC)


def close(contact: FollowUpContact, status: str, at: datetime) -> None:
    """End all contact: final status, and the number is erased at once."""
    contact.status = status
    contact.finished_at = at.astimezone(UTC)
    contact.next_attempt_at = None
    erase(contact, at)


def purge_expired(db: Session, at: datetime, rules: FollowUpPolicy | None = None) -> int:
    """Erase every number kept past its purpose or past the retention limit; one UPDATE."""
    rules = rules or policy()
    cutoff = (at - rules.retention).astimezone(UTC)
    expired = FollowUpContact.created_at <= cutoff
    stmt = (
        update(FollowUpContact)
        .where(or_(FollowUpContact.phone.is_not(None), FollowUpContact.phone_hash.is_not(None)))
        .where(or_(expired, FollowUpContact.status.not_in(OPEN_STATUSES)))
        .values(
            phone=None, phone_hash=None, erased_at=at.astimezone(UTC),
            status=case((FollowUpContact.status.in_(OPEN_STATUSES), CONTACT_EXPIRED),
                        else_=FollowUpContact.status),
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]


def open_contact_by_token(db: Session, token: str) -> FollowUpContact | None:
    if not token:
        return None
    return db.scalar(select(FollowUpContact).where(
        FollowUpContact.token == token, FollowUpContact.status.in_(OPEN_STATUSES)))


def open_contact_by_number(db: Session, raw_number: str, at: datetime) -> FollowUpContact | None:
    """The open contact for a number, consented in any period of the retention window."""
    number = e164(raw_number)
    if number is None:
        return None
    digests = caller_hasher().digests_within(number, at, policy().retention)
    return db.scalar(select(FollowUpContact)
                     .where(FollowUpContact.phone_hash.in_(digests),
                            FollowUpContact.status.in_(OPEN_STATUSES))
                     .order_by(FollowUpContact.created_at.desc()).limit(1))
