"""The supervisor board (#12): queues, waiting callers and live calls (conferences) as JSON at
a given clock, crisis calls first, for supervisors and admins only; with the store away it
answers what it can, never a 500."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.shared_store import SharedStore
from ivr.call_extras import mark_crisis
from ivr.simulator.cli import SimClock
from tests.board_helpers import PASSWORD, add_staff, auth, live_call
from tests.fault_servers import RedisServer


def test_the_board_at_a_known_time(client: FlaskClient, board_calls: datetime) -> None:
    t = board_calls
    data = client.get("/api/supervisor/board", headers=auth("supervisor")).get_json()
    assert datetime.fromisoformat(data["at"]) == t and "degraded" not in data
    assert [row["call_sid"] for row in data["live"]] == ["CAcrisis", "CAold"]  # crisis first
    crisis, old = data["live"]
    assert (crisis["crisis"], crisis["specialist_name"], crisis["talk_seconds"]) == (True, "Ana", 120)
    assert old == {
        "call_sid": "CAold", "provider": "central", "specialist_id": 1, "specialist_name": "Sam",
        "since": old["since"], "talk_seconds": 540,
        "language": "pa", "interpreter": "pa", "need": "food", "region": "central",
        "crisis": False, "on_hold": True, "conference_sid": "CFCAold", "transfer": None,
        "interpreters": ["pa"]}
    assert datetime.fromisoformat(old["since"]) == t - timedelta(minutes=9)
    assert crisis["on_hold"] is False and crisis["interpreters"] == []
    assert [(w["call_sid"], w["provider"], w["waited_seconds"]) for w in data["waiting"]] == [
        ("CAwait1", "central", 180), ("CAwait2", "east", 60)]  # longest wait first
    assert (data["waiting"][1]["language"], data["waiting"][1]["need"]) == ("fr", "housing")
    queues = {q["provider"]: q for q in data["queues"]}
    assert queues["central"] == {"provider": "central", "name": queues["central"]["name"],
                                 "waiting": 1, "longest_wait": 180, "specialists": 1,
                                 "callbacks": 0}
    assert queues["east"]["waiting"] == 1 and queues["north"]["waiting"] == 0


def test_a_call_put_through_to_the_crisis_line_comes_first(client: FlaskClient,
                                                            store: SharedStore,
                                                            board_calls: datetime) -> None:
    """The live call's own flag (the specialist's crisis transfer), before any record has it."""
    transfer = {"kind": "warm", "target_kind": "crisis", "target": "988", "sid": None,
                "answered": False}
    live_call(store, "CAlater", 1, board_calls - timedelta(minutes=1),
              {"crisis": True, "transfer": transfer})
    live = client.get("/api/supervisor/board", headers=auth("admin")).get_json()["live"]
    assert [(row["call_sid"], row["crisis"]) for row in live] == [
        ("CAcrisis", True), ("CAlater", True), ("CAold", False)]
    assert live[1]["transfer"] == transfer


def test_a_crisis_caller_waiting_comes_first(app: Flask, client: FlaskClient,
                                             board_calls: datetime) -> None:
    with app.app_context():
        mark_crisis("CAwait2", "menu", board_calls - timedelta(minutes=2))
    waiting = client.get("/api/supervisor/board", headers=auth("admin")).get_json()["waiting"]
    assert [(w["call_sid"], w["crisis"]) for w in waiting] == [("CAwait2", True),
                                                               ("CAwait1", False)]


def test_the_clock_is_a_parameter(client: FlaskClient, clock: SimClock,
                                  board_calls: datetime) -> None:
    clock.current = board_calls + timedelta(minutes=1)
    data = client.get("/api/supervisor/board", headers=auth("supervisor")).get_json()
    assert [row["talk_seconds"] for row in data["live"]] == [180, 600]
    assert [w["waited_seconds"] for w in data["waiting"]] == [240, 120]


@pytest.mark.usefixtures("board_calls")
def test_only_supervisors_and_admins(client: FlaskClient) -> None:
    for role in ("specialist", "planner"):
        refused = client.get("/api/supervisor/board", headers=auth(role))
        assert refused.status_code == 403 and refused.get_json()["error"]
    assert client.get("/api/supervisor/board").status_code == 401
    assert client.get("/supervisor/board").status_code == 302  # to sign in
    client.post("/login", data={"email": "specialist@example.org", "password": PASSWORD})
    assert client.get("/supervisor/board").status_code == 403


@pytest.mark.usefixtures("board_calls")
def test_the_page_and_its_link(client: FlaskClient) -> None:
    client.post("/login", data={"email": "supervisor@example.org", "password": PASSWORD})
    html = client.get("/supervisor/board").get_data(as_text=True)
    assert "Supervisor board" in html and "board.js" in html and 'name="csrf-token"' in html
    assert 'href="/supervisor/board"' in client.get("/").get_data(as_text=True)
    js = client.get("/supervisor/board-static/board.js")
    assert js.status_code == 200 and b"/supervise" in js.data


def test_the_store_away_gives_a_degraded_board_not_a_500(own_redis_app: Flask,
                                                         own_redis: RedisServer) -> None:
    from config.database import db_session

    with own_redis_app.app_context():
        add_staff(db_session())
        live_call(own_redis_app.extensions["store"], "CAx", 1, own_redis_app.extensions["clock"]())
    client = own_redis_app.test_client()
    assert len(client.get("/api/supervisor/board", headers=auth("admin")).get_json()["live"]) == 1
    own_redis.kill()
    for _ in range(2):  # the failing read, then the open breaker
        answer = client.get("/api/supervisor/board", headers=auth("admin"))
        assert answer.status_code == 200
        data = answer.get_json()
        assert data["degraded"] == ["redis"]
        assert (data["live"], data["waiting"], data["queues"]) == ([], [], [])
