"""The outcome follow-up as rq jobs on Redis: attempts, retries and the retention purge.

`survey.hook` schedules `attempt_outcome` at consent for the first allowed time (rq's `enqueue_at`).
Each attempt places one call or text through the Twilio REST client, then schedules the
next attempt a spacing later (inside the calling window). Whatever answers arrive through
the webhooks close the contact; a later attempt finds it closed and does nothing. After the
last attempt the contact is closed as `no_answer` and the number erased.

Jobs run inside an app context (`flask --app app survey worker`), so they read the app's
settings, clock, Twilio client factory and queue factory like views do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from redis import Redis, RedisError
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

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
from survey.policy import in_window, next_allowed

log = logging.getLogger(__name__)
QUEUE_NAME = "survey"


# -- the app's boundaries: the queue and Twilio's REST API ---------------------------------

def default_queue_factory(app: Flask) -> Callable[[], Queue | None]:
    def make() -> Queue | None:
        url = app.extensions["settings"].redis_url
        if not url:
            return None
        wait = app.extensions["settings"].redis_timeout_seconds  # a paused Redis: bounded
        return Queue(QUEUE_NAME, connection=Redis.from_url(url, socket_timeout=wait,
                                                           socket_connect_timeout=wait))

    return make


def default_twilio_factory(app: Flask) -> Callable[[], Any]:
    def make() -> Any:
        from twilio.rest import Client

        cfg = app.extensions["settings"]
        return Client(cfg.twilio_account_sid, cfg.twilio_auth_token)

    return make


def install(app: Flask) -> None:
    """Defaults that tests (and deployments) may replace before the first request."""
    app.extensions.setdefault("survey_queue_factory", default_queue_factory(app))
    app.extensions.setdefault("twilio_client_factory", default_twilio_factory(app))


def queue() -> Queue | None:
    return current_app.extensions["survey_queue_factory"]()


def twilio_client() -> Any:
    return current_app.extensions["twilio_client_factory"]()


def _schedule(at: datetime, func: Callable[..., Any], *args: Any) -> Job | None:
    target = queue()
    if target is None:
        log.warning("no Redis configured: %s not scheduled (set REDIS_URL; numbers are still "
                    "erased by `flask survey purge`)",
                    func.__name__)
        return None
    try:
        return target.enqueue_at(at.astimezone(UTC), func, *args)
    except RedisError as err:  # the contact is in the database; the sweep schedules it later
        log.warning("Redis unavailable (%s): %s not scheduled now; `survey sweep` will",
                    type(err).__name__, func.__name__)
        return None


def schedule_attempt(contact_id: int, at: datetime) -> Job | None:
    return _schedule(at, attempt_outcome, contact_id)


def schedule_purge(at: datetime) -> Job | None:
    return _schedule(at, purge_job)


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
    them back. Copies of a job that was not lost are harmless: an attempt runs only when due.
    """
    rows = db.execute(select(FollowUpContact.id, FollowUpContact.next_attempt_at)
                      .where(FollowUpContact.status.in_(OPEN_STATUSES),
                             FollowUpContact.next_attempt_at.is_not(None)))
    count = 0
    for contact_id, due in rows:
        if due is not None:  # always, by the query; the check narrows the type
            schedule_attempt(contact_id, max(due, moment))
            count += 1
    schedule_purge(moment)
    return count


# -- the jobs ---------------------------------------------------------------------------------

# How early a job may run and still count as due (clocks of workers and scheduler differ).
DUE_SLACK = timedelta(minutes=1)


def attempt_outcome(contact_id: int) -> str:
    """One attempt at the outcome survey; returns what it did (kept as the job's result)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    at = now()
    rules = contacts.policy()
    with session_scope(app) as db:
        # Locked (on PostgreSQL) so two workers running copies of the job cannot both call.
        contact = db.get(FollowUpContact, contact_id, with_for_update=True)
        if contact is None or contact.status not in OPEN_STATUSES or not contact.phone:
            return "closed"
        due = contact.next_attempt_at
        if due is not None and due > at + DUE_SLACK:
            return "not due"  # a copy from a sweep; the attempt itself is scheduled for later
        if contact.created_at + rules.retention <= at:
            contacts.close(contact, "expired", at)
            return "expired"
        if contact.attempts >= rules.max_attempts:
            contacts.close(contact, CONTACT_NO_ANSWER, at)
            return "no_answer"
        if not in_window(at, rules):  # the job ran late, into quiet hours
            later = next_allowed(at, rules)
            contact.next_attempt_at = later.astimezone(UTC)
            schedule_attempt(contact.id, later)
            return "deferred"
        reached = reach(contact)
        contact.attempts += 1
        contact.status = CONTACT_IN_PROGRESS
        contact.last_attempt_at = at.astimezone(UTC)
        following = next_allowed(at + rules.retry_spacing, rules)
        contact.next_attempt_at = following.astimezone(UTC)
        schedule_attempt(contact.id, following)  # runs as a final check after the last attempt
        return f"attempt {contact.attempts}: {reached}"


def reach(contact: FollowUpContact) -> str:
    """Place the call or send the text; a Twilio failure counts as an unanswered attempt."""
    cfg = current_app.extensions["settings"]
    client = twilio_client()
    base = cfg.public_base_url
    try:
        if contact.channel == "text":
            definition = version(contacts.OUTCOME_SURVEY, contact.definition_version)
            body = sms_text(definition, contact)
            client.messages.create(to=contact.phone, from_=cfg.twilio_from_number, body=body)
            return "texted"
        client.calls.create(
            to=contact.phone, from_=cfg.twilio_from_number,
            url=f"{base}/survey/outcome/call?contact={contact.token}", method="POST",
            status_callback=f"{base}/survey/outcome/call-status?contact={contact.token}",
            status_callback_method="POST",
            machine_detection="Enable",  # AnsweredBy: a machine is hung up on (survey.outcome)
        )
        return "called"
    except Exception:  # the REST API or the network failed: try again at the next attempt
        log.exception("outcome contact %s: Twilio request failed", contact.id)
        return "failed"


def sms_text(definition: Any, contact: FollowUpContact) -> str:
    """The text to send: the intro the first time, else the question awaiting a reply."""
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
