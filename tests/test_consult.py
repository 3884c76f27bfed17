"""A warm transfer to another region's specialist (#12): the consult, end to end on the
simulator, and the race between a waiting specialist's own look and a consult taking them."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.extensions import store
from ivr import idle_agents, screen_pop
from ivr.cli import DEMO_SPECIALISTS
from ivr.conference_state import LiveCalls
from ivr.models import CallTransfer, Specialist
from ivr.simulator.cli import SimClock
from ivr.simulator.rest import RestApi
from tests.calls import add_specialists, place_call
from tests.test_call_controls import SURVEY, control, record, token_for
from tests.test_conference_claims import path_of, queue_caller
from tests.twilio_helpers import SignedClient, twiml

NORTH, EAST = DEMO_SPECIALISTS["north"], DEMO_SPECIALISTS["east"]
CONSULT = {"kind": "warm", "target_kind": "provider", "target": "east"}


@pytest.fixture
def north(db: Session) -> dict[str, str]:
    """The north specialist's API credentials (every provider has a demo specialist)."""
    add_specialists(db)
    return token_for(db, "specialist", NORTH)


@pytest.fixture
def rest(app: Flask) -> RestApi:
    api = RestApi()
    app.extensions["twilio_client_factory"] = lambda: api
    return api


def specialist_id(db: Session, phone: str) -> int:
    found = db.scalar(select(Specialist.id).where(Specialist.phone == phone))
    assert found is not None
    return found


def test_a_consult_brings_a_waiting_colleague_in_then_hands_them_the_call(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=300, colleagues=(EAST,), during=[
                          (20, control(client, app, north, "transfer", CONSULT)),
                          (90, control(client, app, north, "transfer/complete"))])
    text = call.transcript.render()
    order = ["the caller is on hold (music)", "the colleague's call is redirected (REST) to "
             "/agent/consult", "A consult from 211 North contact centre, who has the caller on hold. Next "
             "caller: English", f"the colleague {EAST} joins the conference (consult)",
             "the caller is back from hold", "the specialist leaves the conference (handed over)",
             "the colleague ends the call with *", "the consult leaves", "How satisfied are you"]
    at = [text.find(line) for line in order]
    assert all(i >= 0 for i in at) and at == sorted(at), (at, text)
    assert "Press 1 to take the next caller" in text.split("handed over", 1)[1]
    db.expire_all()
    (moved,) = db.scalars(select(CallTransfer))
    assert (moved.kind, moved.target_kind, moved.target, moved.outcome) == (
        "warm", "provider", "east", "answered")
    found = record(db)
    assert found.hold_seconds == 70  # on hold from 0:20 to the hand-over at 1:30
    assert found.talk_seconds is not None and found.talk_seconds >= 300  # the whole call
    with app.app_context():
        popped = screen_pop.events_since(store(), specialist_id(db, EAST), 0)
        assert [e["call_sid"] for e in popped if e.get("type") == "call"] == [found.call_sid]
        assert LiveCalls(store()).all() == []  # ended when the colleague ended it


def test_a_consult_with_nobody_waiting_there_is_refused_and_changes_nothing(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    answers: list[tuple[int, str]] = []

    def ask(exchange: object) -> None:
        with app.app_context():
            (live,) = LiveCalls(store()).all()
        resp = client.post(f"/api/calls/{live.caller_sid}/transfer", json=CONSULT, headers=north)
        answers.append((resp.status_code, resp.get_json()["error"]))

    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=120, during=[(20, ask)])
    assert answers == [(409, "no specialist at 211 East contact centre is free to consult just now; a cold "
                             "transfer puts the caller in their line")]
    assert "on hold" not in call.transcript.render()
    assert db.scalars(select(CallTransfer)).all() == []


def test_a_waiting_specialist_a_consult_has_taken_waits_for_it_instead_of_a_caller(
        app: Flask, twilio: SignedClient, db: Session, rest: RestApi,
        north: dict[str, str]) -> None:
    east = specialist_id(db, EAST)
    idle = twiml(twilio.post("/agent/incoming", CallSid="CAeast", From=EAST))
    assert idle.find("Pause") is not None and idle.find("Dial") is None  # nobody waits yet
    with app.app_context():
        taken = idle_agents.take(store(), "east", "CAother", at=app.extensions["clock"]().timestamp(),
                                 stale_after=60)
    assert taken == idle_agents.IdleAgent("CAeast", east, "east")
    queue_caller(twilio, "CAcaller", "+16135550123", ["1", "1"])  # an East caller now waits
    look = twiml(twilio.post(f"/agent/idle?ap=east&sp={east}", CallSid="CAeast", From=EAST))
    assert look.find("Dial") is None, "a specialist a consult has taken claimed a caller"
    with app.app_context():
        idle_agents.release(store(), "CAeast")  # (as the consult's redirect does)
    look = twiml(twilio.post(f"/agent/idle?ap=east&sp={east}", CallSid="CAeast", From=EAST))
    assert look.find("Dial/Conference") is not None  # released: they take the caller


def test_a_consult_loses_to_the_specialists_own_look(app: Flask, twilio: SignedClient,
                                                      db: Session, rest: RestApi,
                                                      north: dict[str, str]) -> None:
    """The look removes its own mark first: the consult finds nobody and reserves nobody."""
    east = specialist_id(db, EAST)
    twiml(twilio.post("/agent/incoming", CallSid="CAeast", From=EAST))
    with app.app_context():
        assert idle_agents.looks_again(store(), "east", "CAeast")
        at = app.extensions["clock"]().timestamp()
        assert idle_agents.take(store(), "east", "CAother", at, stale_after=60) is None
        assert store().get_json(idle_agents.reserved_key("CAeast")) is None
    assert east


class LookDuringTake:
    """The store a consult takes a specialist through, with the specialist's own look run
    at the worst moment: just after the consult's removal of their mark succeeds."""

    def __init__(self, real: object, look: object) -> None:
        self.real, self.look = real, look
        self.looked: Any = None

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def zrem(self, key: str, member: str) -> bool:
        removed = self.real.zrem(key, member)  # type: ignore[attr-defined]
        if removed and key.startswith("idle:") and self.looked is None:
            self.looked = self.look()  # type: ignore[operator]
        return bool(removed)


def test_a_look_at_the_moment_a_consult_takes_the_specialist_claims_no_caller(
        app: Flask, twilio: SignedClient, db: Session, rest: RestApi,
        north: dict[str, str]) -> None:
    east = specialist_id(db, EAST)
    twiml(twilio.post("/agent/incoming", CallSid="CAeast", From=EAST))

    def caller_then_look() -> ET.Element:  # (an East caller waits by the time they look)
        queue_caller(twilio, "CAcaller", "+16135550123", ["1", "1"])
        return twiml(twilio.post(f"/agent/idle?ap=east&sp={east}", CallSid="CAeast", From=EAST))

    with app.app_context():
        racing = LookDuringTake(store(), caller_then_look)
        at = app.extensions["clock"]().timestamp()
        taken = idle_agents.take(racing, "east", "CAother", at, stale_after=60)  # type: ignore[arg-type]
    assert taken is not None and racing.looked is not None
    assert racing.looked.find("Dial") is None, "taken by a consult and given a caller too"


def test_a_colleague_who_leaves_while_consulting_leaves_the_caller_with_the_specialist(
        app: Flask, db: Session, twilio: SignedClient, client: FlaskClient,
        rest: RestApi, north: dict[str, str]) -> None:
    east = specialist_id(db, EAST)
    twiml(twilio.post("/agent/incoming", CallSid="CAeast", From=EAST))  # waits: nobody in line
    queue_caller(twilio, "CAheld", "+18075550144", ["1", "1"])
    for sid in ("CAheld", "CAnorth", "CAeast"):
        rest.calls.states[sid] = "in-progress"
    twiml(twilio.post("/agent/incoming", CallSid="CAnorth", From=NORTH))
    twiml(twilio.post("/agent/conference-events", CallSid="CAnorth", FriendlyName="call-CAheld",
                      ConferenceSid="CF9", StatusCallbackEvent="conference-start"))
    rest.conferences.known["CF9"] = {"CAheld", "CAnorth"}
    resp = client.post("/api/calls/CAheld/transfer", json=CONSULT, headers=north)
    assert resp.status_code == 202, resp.get_json()
    app.extensions["outbox"].settle()
    assert rest.conferences.updates[-1][1] == "CAheld"
    assert rest.conferences.updates[-1][2]["hold"] is True  # the caller on hold: music
    joined = twiml(twilio.post(path_of(rest.calls.redirects["CAeast"]), CallSid="CAeast",
                               From=EAST))
    room = joined.find("Dial/Conference")
    assert room is not None and room.text == "call-CAheld"
    assert room.get("endConferenceOnExit") == "false"  # leaving the consult ends nothing
    action = joined.find("Dial")
    assert action is not None
    rest.conferences.updates.clear()
    after = twiml(twilio.post(path_of(action.get("action", "")), CallSid="CAeast", From=EAST,
                              DialCallStatus="completed", DialCallDuration="40"))
    assert after.find("Gather") is not None  # the colleague goes on to their next caller
    app.extensions["outbox"].settle()
    assert [(u[1], u[2]["hold"]) for u in rest.conferences.updates] == [("CAheld", False)]
    with app.app_context():
        live = LiveCalls(store()).get("CAheld")
        told = screen_pop.events_since(store(), specialist_id(db, NORTH), 0)
    assert live is not None and live.transfer is None and live.specialist_id != east
    assert not live.ended_at  # the call goes on with the specialist who asked
    assert any(e.get("type") == "control" and "consulted specialist left" in e["message"]
               for e in told)


def test_a_caller_joining_the_queue_wakes_a_specialist_waiting_there(
        app: Flask, twilio: SignedClient, db: Session, rest: RestApi,
        north: dict[str, str]) -> None:
    """The wake (ivr.wake): the waiting specialist is redirected to look now, and takes the
    caller, instead of hearing out their pause."""
    east = specialist_id(db, EAST)
    rest.calls.states.update(dict.fromkeys(("CAeast", "CAwakes", "CAnext"), "in-progress"))
    idle = twiml(twilio.post("/agent/incoming", CallSid="CAeast", From=EAST))
    assert idle.find("Pause") is not None  # nobody in line: they wait
    queue_caller(twilio, "CAwakes", "+16135550123", ["1", "1"])
    app.extensions["outbox"].settle()
    woken = rest.calls.redirects.get("CAeast")
    assert woken is not None, "the waiting specialist was not woken"
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(woken).query)) == {
        "ap": "east", "sp": str(east), "woken": "1"}
    takes = twiml(twilio.post(path_of(woken), CallSid="CAeast", From=EAST))
    room = takes.find("Dial/Conference")
    assert room is not None and room.text == "call-CAwakes"
    queue_caller(twilio, "CAnext", "+16135550124", ["1", "1"])  # nobody waits now: no wake
    app.extensions["outbox"].settle()
    assert [u["sid"] for u in rest.calls.updated].count("CAeast") == 1, rest.calls.updated
