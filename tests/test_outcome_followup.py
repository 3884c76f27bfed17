"""The outcome follow-up: real rq jobs on the local Redis; only Twilio's REST API is faked."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.cli import DEMO_SPECIALISTS
from ivr.simulator.cli import SimClock
from survey.jobs import sweep
from survey.models import SurveyAnswer
from tests.calls import place_call
from tests.conftest import TORONTO
from tests.survey_helpers import (
    FakeTwilio,
    answer_outcome_call,
    answers,
    only_contact,
    run_due_jobs,
)
from tests.twilio_helpers import SignedClient

CALLER = "+18075550123"


def func_name(queue: Queue, job_id: str) -> str | None:
    """The dotted name of a job the registry lists (so still in Redis)."""
    job = queue.fetch_job(job_id)
    assert job is not None
    return job.func_name


def consent_call(app: Flask, clock: SimClock, choice: str) -> None:
    """A whole call whose caller answers the survey and picks call (1) or text (2)."""
    place_call(app, clock, CALLER, ["1", "1", "5", "1", "1", choice],
               specialist=DEMO_SPECIALISTS["north"])


def at(clock: SimClock, moment: datetime) -> None:
    clock.set(moment)


def test_outcome_call_completes_on_the_simulator(app: Flask, clock: SimClock, db: Session,
                                                 queue: Queue, fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "1")
    assert run_due_jobs(app, queue) == 0 and fake_twilio.calls.sent == []  # not due yet
    at(clock, datetime(2026, 11, 30, 10, 30, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    [placed] = fake_twilio.calls.sent
    assert placed["to"] == CALLER and placed["url"].startswith(
        "https://helpline.example.org/survey/outcome/call?contact=")
    assert placed["machine_detection"] == "Enable"
    exchange = answer_outcome_call(app, clock, placed, ["say:yes it's me", "1", "2", "say:yes"])
    assert "Did you follow up on the referrals" in exchange.transcript.render()
    contact = only_contact(db)
    assert (contact.status, contact.phone, contact.phone_hash) == ("done", None, None)
    assert contact.erased_at is not None
    assert answers(db) == {"satisfaction": "5", "call_again": "yes", "better_prepared": "yes",
                           "consent": "call", "followed_up": "some", "health_improved": "yes"}
    outcome = db.scalars(select(SurveyAnswer).where(SurveyAnswer.survey == "outcome")).all()
    assert {(a.region, a.positive) for a in outcome} == {("north", True)}
    at(clock, clock.current + timedelta(days=1))
    run_due_jobs(app, queue)  # the scheduled check finds it closed
    assert len(fake_twilio.calls.sent) == 1


def test_first_attempt_honours_quiet_hours(app: Flask, clock: SimClock, db: Session,
                                           queue: Queue, fake_twilio: FakeTwilio,
                                           twilio: SignedClient) -> None:
    at(clock, datetime(2026, 11, 23, 21, 30, tzinfo=TORONTO))  # consent late in the evening
    twilio.post("/voice/incoming", CallSid="CA9", From=CALLER)
    twilio.post("/survey/answer?q=consent&v=2026.1&attempt=0", CallSid="CA9", From=CALLER,
                Digits="1")
    contact = only_contact(db)
    assert contact.next_attempt_at is not None
    due = contact.next_attempt_at
    assert due.astimezone(TORONTO) == datetime(2026, 12, 1, 10, 0, tzinfo=TORONTO)
    registry = queue.scheduled_job_registry
    scheduled = {func_name(queue, job_id): registry.get_scheduled_time(job_id)
                 for job_id in registry.get_job_ids()}
    assert scheduled == {"survey.jobs.attempt_outcome": due, "survey.jobs.purge_job":
                         datetime(2026, 12, 23, 21, 30, tzinfo=TORONTO)}
    at(clock, datetime(2026, 12, 1, 9, 59, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert fake_twilio.calls.sent == []
    at(clock, datetime(2026, 12, 1, 10, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert len(fake_twilio.calls.sent) == 1


def test_no_answer_is_retried_three_times_then_the_number_erased(
        app: Flask, clock: SimClock, db: Session, queue: Queue, fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "1")
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=TORONTO)
    for attempt in range(1, 5):
        at(clock, moment)
        run_due_jobs(app, queue)
        assert len(fake_twilio.calls.sent) == attempt
        answer_outcome_call(app, clock, fake_twilio.calls.sent[-1], [], status="no-answer")
        contact = only_contact(db)
        assert (contact.attempts, contact.phone) == (attempt, CALLER)
        moment += timedelta(days=1)
    at(clock, moment)
    run_due_jobs(app, queue)
    contact = only_contact(db)
    assert (contact.status, contact.phone, len(fake_twilio.calls.sent)) == ("no_answer", None, 4)
    left = [func_name(queue, j) for j in queue.scheduled_job_registry.get_job_ids()]
    assert left == ["survey.jobs.purge_job"]


def test_a_voicemail_silence_is_retried_not_closed(app: Flask, clock: SimClock, db: Session,
                                                   queue: Queue, fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "1")
    at(clock, datetime(2026, 11, 30, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    answer_outcome_call(app, clock, fake_twilio.calls.sent[0], ["silence", "silence"])
    assert only_contact(db).status == "in_progress"
    at(clock, datetime(2026, 12, 1, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert len(fake_twilio.calls.sent) == 2


def test_pressing_9_ends_all_contact(app: Flask, clock: SimClock, db: Session, queue: Queue,
                                     fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "1")
    at(clock, datetime(2026, 11, 30, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    exchange = answer_outcome_call(app, clock, fake_twilio.calls.sent[0], ["1", "9"])
    assert "We will not contact you again" in exchange.transcript.render()
    contact = only_contact(db)
    assert (contact.status, contact.phone) == ("stopped", None)
    at(clock, datetime(2026, 12, 1, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert len(fake_twilio.calls.sent) == 1


def sms(twilio: SignedClient, body: str, sender: str = CALLER) -> str:
    resp = twilio.post("/survey/outcome/sms", From=sender, To="+16475550100", Body=body,
                       MessageSid="SM1")
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    return resp.get_data(as_text=True)


def test_text_follow_up_answered_by_reply(app: Flask, clock: SimClock, db: Session, queue: Queue,
                                          fake_twilio: FakeTwilio, twilio: SignedClient) -> None:
    consent_call(app, clock, "2")
    at(clock, datetime(2026, 11, 30, 11, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    [sent] = fake_twilio.messages.sent
    assert sent["to"] == CALLER and "Reply YES" in sent["body"]
    assert "follow up on the suggestions" in sms(twilio, "Yes")
    assert "Sorry" in sms(twilio, "maybe?")
    assert "health or your situation" in sms(twilio, "no")
    assert "We will not write again" in sms(twilio, "1")
    contact = only_contact(db)
    assert (contact.status, contact.phone, contact.phone_hash) == ("done", None, None)
    assert {k: v for k, v in answers(db).items() if k in ("followed_up", "health_improved")} == {
        "followed_up": "no", "health_improved": "yes"}
    assert sms(twilio, "yes").count("<Message>") == 0  # the number is forgotten


def test_stop_by_text_ends_all_contact(app: Flask, clock: SimClock, db: Session, queue: Queue,
                                       fake_twilio: FakeTwilio, twilio: SignedClient) -> None:
    consent_call(app, clock, "2")
    at(clock, datetime(2026, 11, 30, 11, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    sms(twilio, "yes")
    sms(twilio, "STOP")
    contact = only_contact(db)
    assert (contact.status, contact.phone) == ("stopped", None)
    at(clock, datetime(2026, 12, 1, 11, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert len(fake_twilio.messages.sent) == 1


def test_unanswered_texts_are_resent(app: Flask, clock: SimClock, db: Session, queue: Queue,
                                     fake_twilio: FakeTwilio, twilio: SignedClient) -> None:
    consent_call(app, clock, "2")
    at(clock, datetime(2026, 11, 30, 11, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    sms(twilio, "oui")  # answers the opening, then goes quiet
    at(clock, datetime(2026, 12, 1, 11, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert "follow up on the suggestions" in fake_twilio.messages.sent[-1]["body"]


def test_twilio_failure_counts_as_an_attempt(app: Flask, clock: SimClock, db: Session,
                                             queue: Queue, fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "1")
    fake_twilio.calls.fail = True
    at(clock, datetime(2026, 11, 30, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    contact = only_contact(db)
    assert (contact.attempts, contact.status) == (1, "in_progress")
    assert queue.failed_job_registry.get_job_ids() == []


def test_numbers_are_erased_after_30_days_by_the_purge_job(
        app: Flask, clock: SimClock, db: Session, queue: Queue, fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "1")
    fake_twilio.calls.fail = True
    at(clock, clock.current + timedelta(days=29, hours=23))
    run_due_jobs(app, queue)
    assert only_contact(db).phone == CALLER
    at(clock, clock.current + timedelta(hours=2))
    run_due_jobs(app, queue)  # the purge job scheduled at consent time
    contact = only_contact(db)
    assert (contact.phone, contact.phone_hash, contact.status) == (None, None, "expired")


def lose_scheduled_jobs(queue: Queue) -> None:
    """What a Redis restart does to the jobs set for later (Redis here keeps nothing on disk)."""
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)


def test_a_sweep_brings_back_jobs_redis_lost(app: Flask, clock: SimClock, db: Session,
                                              queue: Queue, fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "1")
    lose_scheduled_jobs(queue)
    at(clock, datetime(2026, 11, 30, 10, 30, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert fake_twilio.calls.sent == []  # lost: nobody would ever be called
    with app.app_context():
        assert sweep(db, clock.current) == 1
    db.commit()
    run_due_jobs(app, queue)
    assert [placed["to"] for placed in fake_twilio.calls.sent] == [CALLER]


def test_copies_of_a_job_make_one_attempt(app: Flask, clock: SimClock, db: Session,
                                           queue: Queue, fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "2")
    with app.app_context():
        sweep(db, clock.current)  # the original job is still there: now there are two
        sweep(db, clock.current)
    db.commit()
    at(clock, datetime(2026, 11, 30, 10, 30, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert len(fake_twilio.messages.sent) == 1
    at(clock, clock.current + timedelta(hours=2))  # still before the retry is due
    run_due_jobs(app, queue)
    assert len(fake_twilio.messages.sent) == 1
