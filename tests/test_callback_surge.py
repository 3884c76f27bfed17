"""Callbacks in a surge (#15): one shared queue, one specialist, callers taking callbacks or
holding on; everyone is served in the order they first joined the queue."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.shared_store import SharedStore
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import Callback, CallRecord
from ivr.simulator.cli import SimClock
from ivr.simulator.surge_queue import SurgeQueue
from ivr.simulator.transport import FlaskTransport
from routing.engine.default_rules import default_document
from tests.calls import add_specialists
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.test_routing_publish import publish_doc


def surge(app: Flask, clock: SimClock, callers: int, takes: list[bool]) -> SurgeQueue:
    sim = SurgeQueue(FlaskTransport(app, PUBLIC_BASE_URL, AUTH_TOKEN), clock.current, clock.set,
                     seed=3, talk_mean=90.0, callee_answers=1.0)
    app.extensions["twilio_client_factory"] = lambda: sim.rest
    for i in range(callers):
        sim.add_caller(f"+1705673{i:04d}", arrives=i * 10.0, patience=10 ** 6,
                       takes_callback=takes[i % len(takes)])
    sim.add_specialist(DEMO_SPECIALISTS["north"], at=5.0)
    sim.run(until=6 * 3600)
    return sim


def test_callbacks_and_holding_callers_are_served_in_the_order_they_joined(
        app: Flask, clock: SimClock, db: Session, store: SharedStore) -> None:
    add_specialists(db)
    doc = default_document()
    doc["rules"].insert(0, {"id": "cb", "then": {"type": "callback", "after_seconds": 60}})
    for provider in doc["providers"]:  # long waits: nobody overflows away in this test
        provider["max_wait_seconds"] = 7200
    publish_doc(db, store, clock, doc)
    sim = surge(app, clock, 10, [True, False])
    db.expire_all()
    called_back = list(db.scalars(select(Callback)))
    assert len([c for c in called_back if c.status == "completed"]) >= 2
    assert all(c.number is None for c in called_back)  # every number erased once done
    by_caller = {c.call_sid: c for c in called_back if c.status == "completed"}
    served: list[tuple[datetime, datetime, str]] = []  # (served, first joined, how)
    for record in db.scalars(select(CallRecord).where(CallRecord.enqueued_at.is_not(None))):
        if record.call_sid in by_caller:
            row = by_caller[record.call_sid]
            assert row.connected_at is not None
            served.append((row.connected_at, row.joined_at, "callback"))
        elif record.result == "answered" and record.call_sid in {c.sid for c in sim.callers}:
            assert record.answered_at is not None and record.enqueued_at is not None
            served.append((record.answered_at, record.enqueued_at, "held"))
    assert len(served) == 10  # everyone reached a person
    assert {kind for _, _, kind in served} == {"callback", "held"}
    order = [joined for _, joined, _ in sorted(served, key=lambda s: s[0])]
    assert order == sorted(order)
