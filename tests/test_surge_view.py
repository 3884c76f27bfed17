"""The surge view (#15): waiting, callbacks owed, answer rate and abandonment in the last 15
minutes, by region, from known call records and live queue figures, at a given clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accounts.models import User, token_digest
from config.shared_store import SharedStore
from ivr.models import CallRecord
from ivr.simulator.cli import SimClock
from ivr.surge import surge
from routing.store.queue_figures import QueueFigures
from tests.test_admin_routing_api import add_users, auth

SUPERVISOR_TOKEN = "supervisor-token"


def record(db: Session, sid: str, region: str, started: datetime, result: str, *,
           answered: datetime | None = None, ended: datetime | None = None,
           enqueued: bool = True) -> None:
    db.add(CallRecord(call_sid=sid, region=region, started_at=started, result=result,
                      enqueued_at=started + timedelta(seconds=40) if enqueued else None,
                      answered_at=answered, ended_at=ended, language="en"))


@pytest.fixture
def known(db: Session, store: SharedStore, clock: SimClock) -> datetime:
    """Known records and queues at `clock.current` (T)."""
    t = clock.current
    m = timedelta(minutes=1)
    record(db, "CAn1", "north", t - 8 * m, "answered", answered=t - 5 * m, ended=t - 1 * m)
    record(db, "CAn2", "north", t - 30 * m, "answered", answered=t - 20 * m, ended=t - 10 * m)
    record(db, "CAn3", "north", t - 6 * m, "abandoned", ended=t - 3 * m)
    record(db, "CAn4", "north", t - 40 * m, "abandoned", ended=t - 16 * m)  # before the window
    record(db, "CAn5", "north", t - 3 * m, "information", ended=t - 1 * m, enqueued=False)
    record(db, "CAn6", "north", t - 2 * m, "in_progress")  # waiting at North
    record(db, "CAn7", "north", t - 4 * m, "in_progress")  # pooled: waiting at Central
    record(db, "CAc1", "central", t - 12 * m, "abandoned", ended=t - 10 * m)
    record(db, "CAc2", "central", t - 14 * m, "answered", answered=t - 13 * m, ended=t + 1 * m)
    db.commit()
    figures = QueueFigures(store)
    figures.caller_enqueued("north", "CAn6", (t - 1 * m).timestamp())
    figures.caller_enqueued("central", "CAn7", (t - 3 * m).timestamp())
    figures.caller_enqueued("east", "CAnorecord", (t - 2 * m).timestamp())  # no record yet
    figures.specialist_signed_in("central", "CAagent1", (t - 60 * m).timestamp())
    return t


def by_region(app: Flask, db: Session, store: SharedStore, at: datetime) -> dict[str, dict[str, object]]:
    with app.test_request_context("/"):
        from config.extensions import deployment

        result = surge(db, QueueFigures(store), deployment(), at)
    return {row.region: vars(row) for row in result.regions}


def test_figures_by_region_from_known_records_and_queues(app: Flask, db: Session,
                                                         store: SharedStore, known: datetime) -> None:
    rows = by_region(app, db, store, known)
    assert rows["north"] == {
        "region": "north", "name": rows["north"]["name"], "waiting": 2, "callbacks_owed": 0,
        "calls": 5, "answered": 1, "abandoned": 1, "information_only": 1,
        "answer_rate_pct": 50.0, "abandonment_pct": 50.0}
    central = rows["central"]
    assert (central["waiting"], central["calls"], central["answered"], central["abandoned"]) == (0, 2, 1, 1)
    assert (central["answer_rate_pct"], central["abandonment_pct"]) == (50.0, 50.0)
    assert rows["east"]["waiting"] == 1 and rows["east"]["answer_rate_pct"] is None
    assert set(rows) >= {"central", "central_east", "central_south", "east", "north", "south_west"}
    # the clock is a parameter: 15 minutes later only what ended since counts
    later = by_region(app, db, store, known + timedelta(minutes=15))
    assert (later["north"]["answered"], later["north"]["abandoned"], later["north"]["calls"]) == (0, 0, 0)
    assert later["north"]["information_only"] == 0 and later["central"]["answered"] == 0


@pytest.fixture
def supervisor(db: Session) -> None:
    add_users(db)
    user = User(email="supervisor@example.org", name="Supervisor", role="supervisor",
                password_hash="", api_token_digest=token_digest(SUPERVISOR_TOKEN))
    user.set_password("correct horse battery staple")
    db.add(user)
    db.commit()


@pytest.mark.usefixtures("supervisor")
def test_supervisors_and_admins_see_it_others_do_not(client: FlaskClient, known: datetime) -> None:
    sup = {"Authorization": f"Bearer {SUPERVISOR_TOKEN}"}
    answer = client.get("/api/supervisor/surge", headers=sup)
    assert answer.status_code == 200
    data = answer.get_json()
    north = next(r for r in data["regions"] if r["region"] == "north")
    assert (north["waiting"], north["abandonment_pct"]) == (2, 50.0)
    assert data["live"] is True and data["disaster_mode"]["on"] is False
    assert {q["provider"]: q["specialists"] for q in data["queues"]}["central"] == 1
    assert client.get("/api/supervisor/surge", headers=auth("admin")).status_code == 200
    for role in ("specialist", "planner"):
        refused = client.get("/api/supervisor/surge", headers=auth(role))
        assert refused.status_code == 403 and refused.get_json()["error"]
    resp = client.post("/login", data={"email": "supervisor@example.org",
                                       "password": "correct horse battery staple"})
    assert resp.status_code == 302
    page = client.get("/supervisor/surge")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Surge view" in html and "50.0 %" in html and 'http-equiv="refresh"' in html
