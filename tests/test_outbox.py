"""One unit of work and the outbox: what a caller said is stored whatever Redis does, and
the job it owes is scheduled after the commit, or later by the sweeper.

Redis here is a redis-server of the test's own (`tests/fault_servers.py`), killed and
started again for real; only Twilio's REST API is faked (`FakeTwilio`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
from flask import Flask
from rq import Queue
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from config.outbox import Outbox, OutboxEntry
from config.settings import Settings
from config.shared_store import SharedStore
from ivr.simulator.cli import SimClock
from survey import jobs
from survey.hook import context_payload
from tests.conftest import TORONTO, _app_for
from tests.fault_servers import RedisServer
from tests.survey_helpers import FakeTwilio, answers, only_contact, run_due_jobs
from tests.twilio_helpers import Fallbacks, SignedClient, spoken, twiml, verbs

CALLER = "+18075550123"
SURVEY = "/survey/answer?v=2026.1&attempt=0&l=en&r=north&p=north&t0=1795446000"


@pytest.fixture
def survey_app(settings: Settings, store: SharedStore, clock: SimClock,
               own_redis: RedisServer) -> Iterator[Flask]:
    """The app with its job queue on our own Redis (the default queue factory, one client)."""
    yield from _app_for(replace(settings, redis_url=own_redis.url, redis_timeout_seconds=0.3),
                        store, clock)


@pytest.fixture
def fake_twilio(survey_app: Flask) -> FakeTwilio:
    fake = FakeTwilio()
    survey_app.extensions["twilio_client_factory"] = lambda: fake
    return fake


def the_queue(app: Flask) -> Queue:
    with app.app_context():
        queue = jobs.queue()
    assert queue is not None
    return queue


def scheduled(queue: Queue) -> dict[str, datetime]:
    registry = queue.scheduled_job_registry
    return {str(queue.fetch_job(job_id).func_name): registry.get_scheduled_time(job_id)  # type: ignore[union-attr]
            for job_id in registry.get_job_ids()}


def owed(db: Session) -> list[OutboxEntry]:
    db.expire_all()
    return list(db.scalars(select(OutboxEntry).where(OutboxEntry.delivered_at.is_(None))))


def answer_survey(twilio: SignedClient, sid: str) -> None:
    """The caller answers the four questions, as Twilio posts them, and consents to a call."""
    for question, digit in [("satisfaction", "5"), ("call_again", "1"),
                            ("better_prepared", "1")]:
        root = twiml(twilio.post(f"{SURVEY}&q={question}", CallSid=sid, From=CALLER,
                                 Digits=digit))
        assert verbs(root) == ["Gather", "Redirect"]  # the next question
    watch = Fallbacks()
    root = twiml(twilio.post(f"{SURVEY}&q=consent", CallSid=sid, From=CALLER, Digits="1"))
    assert watch.fired() == 0
    assert verbs(root) == ["Say", "Hangup"]  # the survey's own goodbye, not its fallback's
    assert spoken(root) == "Thank you for your answers. Thank you for calling 2-1-1. Goodbye."


def test_a_failed_enqueue_loses_nothing_and_the_sweeper_schedules_later(
        survey_app: Flask, clock: SimClock, own_redis: RedisServer, fake_twilio: FakeTwilio) -> None:
    twilio = SignedClient(survey_app.test_client(), "https://helpline.example.org",
                          "test-auth-token")
    queue = the_queue(survey_app)
    own_redis.kill()  # nothing listens: every enqueue fails
    answer_survey(twilio, "CAout")

    db: Session = survey_app.extensions["db_sessionmaker"]()
    assert answers(db) == {"satisfaction": "5", "call_again": "yes", "better_prepared": "yes",
                           "consent": "call"}
    contact = only_contact(db)
    assert (contact.phone, contact.status) == (CALLER, "scheduled")
    due = contact.next_attempt_at
    assert due is not None and due.astimezone(TORONTO) == datetime(2026, 11, 30, 10, 0,
                                                                    tzinfo=TORONTO)
    rows = owed(db)
    assert sorted(r.kind for r in rows) == ["survey.attempt", "survey.purge"]
    assert all(r.attempts == 1 and "ConnectionError" in (r.last_error or "") for r in rows)

    cron = survey_app.test_cli_runner()
    result = cron.invoke(args=["outbox", "sweep"])
    assert result.exit_code == 1 and "2 still owed" in result.output  # Redis still away
    own_redis.start()  # back, and empty (no persistence)
    result = cron.invoke(args=["outbox", "sweep"])
    assert result.exit_code == 0 and "delivered 2 owed effect(s); 0 still owed" in result.output
    assert owed(db) == []
    assert scheduled(queue) == {"survey.jobs.attempt_outcome": due, "survey.jobs.purge_job":
                                datetime(2026, 12, 23, 10, 0, tzinfo=TORONTO)}
    box: Outbox = survey_app.extensions["outbox"]
    assert box.sweep() == 0  # delivered once

    clock.set(datetime(2026, 11, 30, 10, 30, tzinfo=TORONTO))
    run_due_jobs(survey_app, queue)
    assert [placed["to"] for placed in fake_twilio.calls.sent] == [CALLER]
    db.close()


def test_a_redelivered_row_replaces_its_job(survey_app: Flask, own_redis: RedisServer,
                                            fake_twilio: FakeTwilio) -> None:
    """Delivery is idempotent: the job is named after what it does, so two deliveries (a
    process that died before marking the row) leave one job, not two."""
    twilio = SignedClient(survey_app.test_client(), "https://helpline.example.org",
                          "test-auth-token")
    answer_survey(twilio, "CAtwice")
    queue = the_queue(survey_app)
    assert len(queue.scheduled_job_registry.get_job_ids()) == 2
    db: Session = survey_app.extensions["db_sessionmaker"]()
    db.execute(update(OutboxEntry).values(delivered_at=None))
    db.commit()
    assert survey_app.extensions["outbox"].sweep() == 2
    assert len(queue.scheduled_job_registry.get_job_ids()) == 2
    db.close()


def test_a_consent_replayed_from_the_journal_gets_its_job(
        survey_app: Flask, clock: SimClock, fake_twilio: FakeTwilio) -> None:
    """The journal drains on a thread of its own, outside any request: the consent and the
    job it owes still arrive together."""
    from survey.answers import CallContext

    context = CallContext(call_sid="CAjournal", language="en", region="north",
                          provider="north", call_date=clock.current.date())
    writer = survey_app.extensions["durable"]
    writer.journal.append("survey.consent", {"context": context_payload(context),
                                             "channel": "call", "from": CALLER,
                                             "at": clock.current})
    drained: list[int] = []
    thread = threading.Thread(target=lambda: drained.append(writer.drain()))
    thread.start()
    thread.join()
    assert drained == [1] and writer.journal.count() == 0
    db: Session = survey_app.extensions["db_sessionmaker"]()
    assert only_contact(db).phone == CALLER
    assert owed(db) == []
    assert set(scheduled(the_queue(survey_app))) == {"survey.jobs.attempt_outcome",
                                                     "survey.jobs.purge_job"}
    db.close()


def test_one_queue_and_redis_client_for_the_app(survey_app: Flask) -> None:
    with survey_app.app_context():
        first, second = jobs.queue(), jobs.queue()
    assert first is not None and first is second


def test_twilio_is_called_with_no_lock_or_write_transaction_held(
        survey_app: Flask, clock: SimClock, fake_twilio: FakeTwilio) -> None:
    """While the REST call is out, another connection can update the contact at once."""
    twilio = SignedClient(survey_app.test_client(), "https://helpline.example.org",
                          "test-auth-token")
    answer_survey(twilio, "CAlock")
    engine = survey_app.extensions["db_engine"]
    seen: list[int] = []

    def write_elsewhere() -> None:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET lock_timeout = '200ms'"))
            else:
                conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            result = conn.execute(text("UPDATE survey_contacts SET step = step"))
            seen.append(result.rowcount)
            conn.commit()

    fake_twilio.calls.during = write_elsewhere
    clock.set(datetime(2026, 11, 30, 10, 30, tzinfo=TORONTO))
    run_due_jobs(survey_app, the_queue(survey_app))
    assert len(fake_twilio.calls.sent) == 1 and seen == [1]
    db: Session = survey_app.extensions["db_sessionmaker"]()
    contact = only_contact(db)
    assert (contact.attempts, contact.status, contact.last_result) == (1, "in_progress", "called")
    assert db.scalar(select(func.count()).select_from(OutboxEntry)
                     .where(OutboxEntry.delivered_at.is_(None))) == 0
    db.close()



def test_the_worker_delivers_what_is_owed_when_it_starts(
        survey_app: Flask, own_redis: RedisServer, fake_twilio: FakeTwilio) -> None:
    twilio = SignedClient(survey_app.test_client(), "https://helpline.example.org",
                          "test-auth-token")
    queue = the_queue(survey_app)
    own_redis.kill()
    answer_survey(twilio, "CAworker")
    own_redis.start()
    result = survey_app.test_cli_runner().invoke(args=["survey", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "2 owed job(s) scheduled from the outbox" in result.output
    db: Session = survey_app.extensions["db_sessionmaker"]()
    assert owed(db) == []
    contact = only_contact(db)
    db.close()
    assert contact.next_attempt_at is not None
    # rq's scheduler in the burst run goes by the real clock, which may be past the due time.
    job = queue.fetch_job(f"{queue.name}-{jobs.attempt_job_id(contact.id, contact.next_attempt_at)}")
    assert job is not None and job.func_name == "survey.jobs.attempt_outcome"
