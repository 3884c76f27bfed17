"""Placing simulated calls against the test app: Twilio's side, played by the simulator."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.cli import DEMO_SPECIALISTS
from ivr.models import CallRecord, Specialist
from ivr.simulator.cli import SimClock
from ivr.simulator.colleagues import dials_in as colleague_dials_in
from ivr.simulator.engine import PLAY_SECONDS, STAR, CallerScript, Exchange
from ivr.simulator.engine import Specialist as SimSpecialist
from ivr.simulator.transport import FlaskTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL


def add_specialists(db: Session) -> dict[str, str]:
    """One specialist per provider; returns provider -> phone."""
    for provider, phone in DEMO_SPECIALISTS.items():
        db.add(Specialist(name=f"Specialist {provider}", phone=phone, provider=provider,
                          languages="en,fr"))
    db.commit()
    return dict(DEMO_SPECIALISTS)


def place_call(app: Flask, clock: SimClock, from_number: str, inputs: list[str], *,
               specialist: str | None = None, answer_after: float = 30.0,
               hangup_after: float | None = None, patience: float = 3600.0,
               max_queue_size: int = 100, talk: float = 180.0, ends: str = STAR,
               play_seconds: float = PLAY_SECONDS,
               unanswered: frozenset[str] = frozenset(),
               during: list[tuple[float, Callable[[Exchange], None]]] | None = None,
               colleagues: tuple[str, ...] = ()) -> Exchange:
    """`unanswered`: numbers a <Dial><Number> rings out on (DialCallStatus no-answer);
    `during`: what the specialist's page does mid-call (seconds into the talk, an action);
    `colleagues`: specialists' phones (of other providers) that dial in as the call begins
    and wait for a caller, whom a consult can reach."""
    transport = FlaskTransport(app, PUBLIC_BASE_URL, AUTH_TOKEN)
    exchange = Exchange(transport, clock.current, clock_sink=clock.set,
                        max_queue_size=max_queue_size, play_seconds=play_seconds)
    exchange.unanswered.update(unanswered)
    script = CallerScript(from_number, list(inputs), hangup_in_queue_after=hangup_after,
                          patience=patience)
    agent = (SimSpecialist(specialist, answer_after=answer_after, talk_seconds=talk, ends=ends,
                           during_call=list(during or []))
             if specialist else None)
    previous = app.extensions["twilio_client_factory"]
    app.extensions["twilio_client_factory"] = lambda: exchange.rest  # Twilio's REST API, played
    try:  # (for this call: a test's own fake, e.g. the follow-up's, is back after it)
        for number in colleagues:
            colleague_dials_in(exchange, number, 0.0)
        exchange.place_call(script, agent)
    finally:
        app.extensions["twilio_client_factory"] = previous
    return exchange


def only_record(db: Session) -> CallRecord:
    records = db.scalars(select(CallRecord)).all()
    assert len(records) == 1, records
    db.refresh(records[0])
    return records[0]
