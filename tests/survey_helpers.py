"""Shared pieces for the survey tests: a fake Twilio REST client, the rq queue, queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.jobs import release_due
from survey.models import FollowUpContact, SurveyAnswer


@dataclass
class FakeResource:
    """Stands in for `client.calls` / `client.messages`: records what would be sent."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    during: Callable[[], None] | None = None  # what else happens while the request is out

    def create(self, **kwargs: Any) -> Any:
        if self.during is not None:
            self.during()
        if self.fail:
            raise RuntimeError("Twilio is down")
        self.sent.append(kwargs)
        return type("Created", (), {"sid": f"XX{uuid.uuid4().hex}"})()


@dataclass
class FakeTwilio:
    calls: FakeResource = field(default_factory=FakeResource)
    messages: FakeResource = field(default_factory=FakeResource)


def make_queue(redis_url: str) -> Iterator[Queue]:
    queue = Queue(f"test-survey-{uuid.uuid4().hex}", connection=Redis.from_url(redis_url))
    yield queue
    for registry in (queue.scheduled_job_registry, queue.finished_job_registry,
                     queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    queue.delete(delete_jobs=True)


def run_due_jobs(app: Flask, queue: Queue) -> int:
    """What the worker and its scheduler do at the app clock's time: release, then run."""
    with app.app_context():
        released = release_due(queue, app.extensions["clock"]())
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    return released


def answers(db: Session, call_sid: str | None = None) -> dict[str, str | None]:
    db.expire_all()
    stmt = select(SurveyAnswer)
    if call_sid:
        stmt = stmt.where(SurveyAnswer.call_sid == call_sid)
    return {a.question: a.value for a in db.scalars(stmt)}


def only_contact(db: Session) -> FollowUpContact:
    db.expire_all()
    found = db.scalars(select(FollowUpContact)).all()
    assert len(found) == 1, found
    return found[0]


def answer_outcome_call(app: Flask, clock: Any, placed: dict[str, Any], inputs: list[str],
                        status: str = "completed", answerer: str = "human") -> Any:
    """Play Twilio for the follow-up call the job placed: follow its TwiML with `inputs`."""
    from ivr.simulator.engine import Exchange
    from ivr.simulator.transport import FlaskTransport
    from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

    exchange = Exchange(FlaskTransport(app, PUBLIC_BASE_URL, AUTH_TOKEN), clock.current,
                        clock_sink=clock.set)
    exchange.answer_outbound(placed, answerer, inputs, status)
    return exchange
