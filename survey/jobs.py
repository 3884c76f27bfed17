"""The outcome follow-up as rq jobs on Redis: attempts, retries and the retention purge.

At consent `survey.hook` owes (`config.outbox`) an `attempt_outcome` for the first allowed
time and a purge at the end of retention; they are scheduled with rq's `enqueue_at` once
the consent is committed, or by the outbox sweep if Redis was away. Each attempt claims the
contact (counts the attempt, sets the next one, owes its job) and commits, then places one
call or text through the Twilio REST client with no transaction open, then records what
Twilio said. Whatever answers arrive through the webhooks close the contact; a later
attempt finds it closed and does nothing. After the last attempt the contact is closed as
`no_answer` and the number erased.

A job is named after what it does (`attempt-<contact>-<due time>`, `purge-<time>`), so the
outbox delivering a row twice, or a sweep scheduling an open contact again, replaces the
job instead of adding a copy. A copy that does run anyway is harmless: an attempt runs
only when due, and one claim wins.

Jobs run inside an app context (`flask --app app survey worker`), so they read the app's
settings, clock, Twilio client factory and queue like views do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config import outbox
from config.clock import now
from config.database import session_scope
from survey import contacts
from survey.definition import version
from survey.models import (
    CONTACT_IN_PROGRESS,
    CONTACT_NO_ANSWER,
    OPEN_STATUSES,
    FollowUpContact,
)
from survey.policy import FollowUpPolicy, in_window, next_allowed

log = logging.getLogger(__name__)
QUEUE_NAME = "survey"
ATTEMPT, PURGE = "survey.attempt", "survey.purge"  # the outbox kinds


# -- the app's boundaries: the queue and Twilio's REST API ---------------------------------

def default_queue_factory(app: Flask) -> Callable[[], Queue | None]:
    """One queue, on one Redis client (and its connection pool), for the app's life."""
    made: list[Queue] = []
    lock = threading.Lock()

    def make() -> Queue | None:
        url = app.extensions["settings"].redis_url
        if not url:
            return None
        with lock:
            if not made:
                wait = app.extensions["settings"].redis_timeout_seconds  # a paused Redis: bounded
                made.append(Queue(QUEUE_NAME, connection=Redis.from_url(
                    url, socket_timeout=wait, socket_connect_timeout=wait)))
            return made[0]

    return make


TWILIO_REST_TIMEOUT = 10.0  # seconds: a REST request runs on the outbox's thread, never a webhook's


def default_twilio_factory(app: Flask) -> Callable[[], Any]:
    def make() -> Any:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        cfg = app.extensions["settings"]
        base = cfg.twilio_api_base

        class Rebased(TwilioHttpClient):
            """Sends the API's requests to `TWILIO_API_BASE` (the simulator's stand-in)."""

            def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                rebased = url.replace("https://api.twilio.com", base.rstrip("/"), 1)
                return super().request(method, rebased, *args, **kwargs)

        http = (Rebased if base else TwilioHttpClient)(timeout=TWILIO_REST_TIMEOUT)
        return Client(cfg.twilio_account_sid, cfg.twilio_auth_token, http_client=http)

    return make


def install(app: Flask) -> None:
    """Defaults that tests (and deployments) may replace before the first request."""
    app.extensions.setdefault("survey_queue_factory", default_queue_factory(app))
    app.extensions.setdefault("twilio_client_factory", default_twilio_factory(app))


def queue() -> Queue | None:
    return current_app.extensions["survey_queue_factory"]()


def twilio_client() -> Any:
    return current_app.extensions["twilio_client_factory"]()


def _schedule(at: datetime, job_id: str, func: Callable[..., Any], *args: Any) -> None:
    """Put the job in Redis for `at`; a Redis error propagates (the outbox keeps the row)."""
    target = queue()
    if target is None:
        log.warning("no Redis configured: %s not scheduled (set REDIS_URL, then `survey sweep`;"
                    " numbers are still erased by `flask survey purge`)", func.__name__)
        return
    # rq's job keys are global to the Redis database: the queue's name keeps them apart.
    target.enqueue_at(at.astimezone(UTC), func, *args, job_id=f"{target.name}-{job_id}")


def attempt_job_id(contact_id: int, at: datetime) -> str:
    return f"attempt-{contact_id}-{int(at.timestamp())}"


def owe_attempt(db: Session, contact_id: int, at: datetime, moment: datetime) -> None:
    """The contact's attempt at `at`, scheduled once this transaction commits."""
    outbox.owe(db, ATTEMPT, {"contact_id": contact_id, "at": at}, moment)


def owe_purge(db: Session, at: datetime, moment: datetime) -> None:
    outbox.owe(db, PURGE, {"at": at}, moment)


@outbox.handler(ATTEMPT)
def _deliver_attempt(payload: dict[str, Any]) -> None:
    contact_id, at = payload["contact_id"], payload["at"]
    _schedule(at, attempt_job_id(contact_id, at), attempt_outcome, contact_id)


@outbox.handler(PURGE)
def _deliver_purge(payload: dict[str, Any]) -> None:
    _schedule(payload["at"], f"purge-{int(payload['at'].timestamp())}", purge_job)


def release_due(target: Queue, moment: datetime) -> int:
    """Move scheduled jobs due at `moment` onto the queue (what rq's scheduler does, at a
    given time, so tests can drive it with the app's clock)."""
    registry = ScheduledJobRegistry(queue=target)
    job_ids = registry.get_jobs_to_schedule(int(moment.timestamp()))
    for job in Job.fetch_many(job_ids, connection=target.connection):
        if job is not None:
            registry.remove(job)
            target.enqueue_job(job)
    return len(job_ids)


def sweep(db: Session, moment: datetime) -> int:
    """Schedule again every open contact's next attempt, and a purge, from the database.

    The database, not Redis, is the record of who is owed a follow-up: a Redis that restarts
    empty (or a deployment without Redis until now) loses the scheduled jobs, and this puts
    them back under the same job ids, so a job that was not lost is replaced, not copied.
    The rows are read first; Redis is called with no row locked.
    """
    rows = db.execute(select(FollowUpContact.id, FollowUpContact.next_attempt_at)
                      .where(FollowUpContact.status.in_(OPEN_STATUSES),
                             FollowUpContact.next_attempt_at.is_not(None))).all()
    db.rollback()  # nothing written: end the read before talking to Redis
    for contact_id, due in rows:
        if due is not None:  # always, by the query; the check narrows the type
            _schedule(max(due, moment), attempt_job_id(contact_id, due), attempt_outcome,
                      contact_id)
    _schedule(moment, f"purge-{int(moment.timestamp())}", purge_job)
    return len(rows)


# -- the jobs ---------------------------------------------------------------------------------

# How early a job may run and still count as due (clocks of workers and scheduler differ).
DUE_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class Claim:
    """What one attempt must send, read and committed before Twilio is called."""

    contact_id: int
    attempt: int
    channel: str
    phone: str
    token: str
    sms_body: str | None


def attempt_outcome(contact_id: int) -> str:
    """One attempt at the outcome survey; returns what it did (kept as the job's result).

    Three short steps, so no row lock is held during the REST call: claim the attempt and
    commit (a copy of this job now finds it "not due"), call Twilio, record the result.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    at = now()
    with session_scope(app) as db:
        claim = claim_attempt(db, contact_id, at, contacts.policy())
    if isinstance(claim, str):
        return claim
    reached = reach(claim)
    with session_scope(app) as db:
        db.execute(update(FollowUpContact).where(FollowUpContact.id == contact_id)
                   .values(last_result=reached).execution_options(synchronize_session=False))
    return f"attempt {claim.attempt}: {reached}"


def claim_attempt(db: Session, contact_id: int, at: datetime,
                  rules: FollowUpPolicy) -> Claim | str:
    """Decide and take this attempt (the caller commits); a string when there is none to make."""
    # Locked (on PostgreSQL) for this short transaction only, so two copies cannot both claim.
    contact = db.get(FollowUpContact, contact_id, with_for_update=True)
    if contact is None or contact.status not in OPEN_STATUSES or not contact.phone:
        return "closed"
    due = contact.next_attempt_at
    if due is not None and due > at + DUE_SLACK:
        return "not due"  # a copy from a sweep, or claimed already; the next one is set
    if contact.created_at + rules.retention <= at:
        contacts.close(contact, "expired", at)
        return "expired"
    if contact.attempts >= rules.max_attempts:
        contacts.close(contact, CONTACT_NO_ANSWER, at)
        return "no_answer"
    if not in_window(at, rules):  # the job ran late, into quiet hours
        later = next_allowed(at, rules)
        contact.next_attempt_at = later.astimezone(UTC)
        owe_attempt(db, contact.id, later, at)
        return "deferred"
    body = sms_text(contact) if contact.channel == "text" else None
    contact.attempts += 1
    contact.status = CONTACT_IN_PROGRESS
    contact.last_attempt_at = at.astimezone(UTC)
    following = next_allowed(at + rules.retry_spacing, rules)
    contact.next_attempt_at = following.astimezone(UTC)
    owe_attempt(db, contact.id, following, at)  # runs as a final check after the last attempt
    return Claim(contact_id=contact.id, attempt=contact.attempts, channel=contact.channel,
                 phone=contact.phone, token=contact.token, sms_body=body)


def reach(claim: Claim) -> str:
    """Place the call or send the text; a Twilio failure counts as an unanswered attempt."""
    cfg = current_app.extensions["settings"]
    client = twilio_client()
    base = cfg.public_base_url
    try:
        if claim.sms_body is not None:
            client.messages.create(to=claim.phone, from_=cfg.twilio_from_number,
                                   body=claim.sms_body)
            return "texted"
        client.calls.create(
            to=claim.phone, from_=cfg.twilio_from_number,
            url=f"{base}/survey/outcome/call?contact={claim.token}", method="POST",
            status_callback=f"{base}/survey/outcome/call-status?contact={claim.token}",
            status_callback_method="POST",
            machine_detection="Enable",  # AnsweredBy: a machine is hung up on (survey.outcome)
        )
        return "called"
    except Exception:  # the REST API or the network failed: try again at the next attempt
        log.exception("outcome contact %s: Twilio request failed", claim.contact_id)
        return "failed"


def sms_text(contact: FollowUpContact) -> str:
    """The text to send: the intro the first time, else the question awaiting a reply."""
    definition = version(contacts.OUTCOME_SURVEY, contact.definition_version)
    question = definition.question(contact.step or "") if contact.step else None
    if question is None or question.id == definition.questions[0].id:
        contact.step = definition.questions[0].id
        return str(definition.text("sms_intro", contact.language))
    return str(question.sms.get(contact.language) or question.sms["en"])


def purge_job() -> int:
    """The retention purge (numbers and pseudonyms); returns how many numbers it erased."""
    from survey import retention

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with session_scope(app) as db:
        return retention.purge_all(db, now()).numbers_erased
