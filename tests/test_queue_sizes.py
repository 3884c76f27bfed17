"""Disaster mode raises the queue limits Twilio holds (#15): every provider's Queue resource
resized through the REST API (after the commit, from the outbox), and restored when it is off."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.extensions import deployment
from config.outbox import OutboxEntry
from ivr.cli import DEMO_SPECIALISTS
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import CallerScript, Exchange
from ivr.simulator.engine import Specialist as SimSpecialist
from ivr.simulator.transport import FlaskTransport
from routing.store.queue_sizes import RESIZE
from tests.calls import add_specialists, only_record
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.test_admin_routing_api import add_users, auth
from tests.test_disaster_mode import ON


@pytest.fixture
def exchange(app: Flask, clock: SimClock, db: Session) -> Exchange:
    """The simulated network, whose REST API is the app's Twilio client."""
    add_users(db)
    db.commit()
    sim = Exchange(FlaskTransport(app, PUBLIC_BASE_URL, AUTH_TOKEN), clock.current,
                   clock_sink=clock.set)
    app.extensions["twilio_client_factory"] = lambda: sim.rest
    return sim


def turn(client: FlaskClient, body: dict[str, Any]) -> None:
    resp = client.put("/api/admin/disaster", json=body, headers=auth("admin"))
    assert resp.status_code == 200, resp.get_json()
    client.application.extensions["outbox"].settle()  # the REST calls go after the answer


def sizes(sim: Exchange) -> dict[str, int]:
    return {q.friendly_name: q.max_size for q in sim.rest.queues.list()}


def provider_queues(app: Flask) -> set[str]:
    with app.test_request_context():
        return {p.queue for p in deployment().providers.values()}


def test_on_raises_every_providers_queue_and_off_restores_it(
        app: Flask, client: FlaskClient, exchange: Exchange, db: Session) -> None:
    cfg = app.extensions["settings"]
    turn(client, ON)
    assert sizes(exchange) == dict.fromkeys(provider_queues(app), cfg.disaster_queue_size)
    turn(client, ON | {"event": "the Goderich tornado, day 2"})  # texts only: nothing to resize
    resizes = db.scalars(select(OutboxEntry).where(OutboxEntry.kind == RESIZE)).all()
    assert len(resizes) == 1
    turn(client, {"on": False})
    assert sizes(exchange) == dict.fromkeys(provider_queues(app), cfg.queue_size)
    assert len(exchange.rest.queues.list()) == len(provider_queues(app))  # updated, not duplicated


def test_a_caller_turned_away_by_a_full_queue_is_queued_once_it_is_raised(
        app: Flask, client: FlaskClient, exchange: Exchange, clock: SimClock, db: Session) -> None:
    """Every queue full at Twilio's size (0 here): the staffed line (as test_full_queue_overflows);
    with disaster mode on the same call waits in its region's queue and reaches a specialist."""
    add_specialists(db)
    exchange.max_queue_size = 0
    turn(client, ON)
    exchange.place_call(CallerScript("+17057260123", ["1", "1"]),
                        SimSpecialist(DEMO_SPECIALISTS["central"], answer_after=30))
    text = exchange.transcript.render()
    assert "is full" not in text and "caller joins queue 211-central" in text
    assert only_record(db).result == "answered"


def test_twilio_down_leaves_the_resize_owed_and_the_mode_on(
        app: Flask, client: FlaskClient, exchange: Exchange, db: Session) -> None:
    def down() -> Any:
        raise ConnectionError("api.twilio.com unreachable")

    app.extensions["twilio_client_factory"] = down
    turn(client, ON)
    assert client.get("/api/admin/disaster", headers=auth("admin")).get_json()["on"] is True
    assert sizes(exchange) == {}
    app.extensions["twilio_client_factory"] = lambda: exchange.rest
    assert app.extensions["outbox"].sweep() == 1
    assert set(sizes(exchange).values()) == {app.extensions["settings"].disaster_queue_size}


def test_the_rest_call_goes_after_the_answer_never_holding_it_up(
        app: Flask, client: FlaskClient, exchange: Exchange) -> None:
    """A Twilio that hangs: the admin (and, for callbacks, the specialist's webhook) has the
    answer while the REST request is still waiting; it completes afterwards."""
    events: list[str] = []
    release = threading.Event()

    class Hanging:
        def __init__(self) -> None:
            self.queues = exchange.rest.queues

        def __getattr__(self, name: str) -> Any:
            raise AttributeError(name)

    def hanging() -> Any:
        events.append("rest started")
        release.wait(10)
        events.append("rest done")
        return Hanging()

    app.extensions["twilio_client_factory"] = hanging
    resp = client.put("/api/admin/disaster", json=ON, headers=auth("admin"))
    events.append(f"answered {resp.status_code}")
    release.set()
    assert app.extensions["outbox"].settle()
    assert events.index("answered 200") < events.index("rest done")
    assert set(sizes(exchange).values()) == {app.extensions["settings"].disaster_queue_size}


def test_the_stand_in_refuses_what_twilio_refuses(exchange: Exchange) -> None:
    """The simulator is only as true as Twilio's rules: 1..5000, known sids, one name each."""
    from twilio.base.exceptions import TwilioRestException

    from ivr.simulator.rest import RestFault

    queues = exchange.rest.queues
    made = queues.create(friendly_name="p-east", max_size=100)
    with pytest.raises(RestFault):
        queues(made.sid).update(max_size=6000)
    with pytest.raises(RestFault):
        queues.create(friendly_name="p-north", max_size=0)
    with pytest.raises(TwilioRestException) as unknown:
        queues("QUnope").update(max_size=200)
    assert (unknown.value.status, unknown.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as twice:
        queues.create(friendly_name="p-east")
    assert twice.value.code == 22003
    assert queues(made.sid).update(max_size=5000).max_size == 5000 == queues.size_of("p-east")
