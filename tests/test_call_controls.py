"""Call controls on the conference (#12), end to end on the simulator: the specialist's page
posts to the API mid-call, the app asks Twilio's REST API (played by the simulator), and
Twilio's callbacks and conference events come back: an interpreter on the line, a warm
transfer answered and one not, the crisis line, a supervisor listening; bad input refused."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User, token_digest
from config.extensions import deployment, store
from ivr import screen_pop
from ivr.cli import DEMO_SPECIALISTS
from ivr.conference_state import LiveCalls
from ivr.models import CallRecord, CallTransfer, InterpreterSession, Specialist
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import Exchange
from ivr.simulator.rest import RestApi
from tests.calls import add_specialists, place_call
from tests.test_conference_claims import path_of, queue_caller
from tests.twilio_helpers import SignedClient, twiml

NORTH = DEMO_SPECIALISTS["north"]
SURVEY = ["5", "1", "1", "3"]  # the post-call survey's answers, so the call runs to its end
FAR_END = "+14165550123"


def token_for(db: Session, role: str, specialist_phone: str | None = None) -> dict[str, str]:
    specialist = (db.scalar(select(Specialist.id).where(Specialist.phone == specialist_phone))
                  if specialist_phone else None)
    token = f"{role}-{specialist_phone or 'none'}-token"
    db.add(User(email=f"{role}{specialist or ''}@example.org", name=role, role=role,
                password_hash="", specialist_id=specialist, api_token_digest=token_digest(token)))
    db.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def north(db: Session) -> dict[str, str]:
    """The north specialist's API credentials (the one the simulated calls reach)."""
    add_specialists(db)
    return token_for(db, "specialist", NORTH)


def live_sid(app: Flask) -> str:
    with app.app_context():
        (live,) = LiveCalls(store()).all()
        return live.caller_sid


def control(client: FlaskClient, app: Flask, headers: dict[str, str], path: str,
            body: dict[str, Any] | None = None) -> Any:
    """What the page does mid-call: one control, which the API must accept."""
    def act(_exchange: Exchange) -> None:
        resp = client.post(f"/api/calls/{live_sid(app)}/{path}", json=body or {}, headers=headers)
        assert resp.status_code == 202, resp.get_json()
    return act


def record(db: Session) -> CallRecord:
    db.expire_all()
    (found,) = db.scalars(select(CallRecord))
    return found


def test_an_interpreter_joins_as_a_third_party_dialled_with_the_languages_code(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=300, during=[(30, control(client, app, north, "interpreter",
                                                      {"language": "pa"}))])
    text = call.transcript.render()
    joined = text.split("the interpreter joins", 1)
    assert len(joined) == 2, text
    assert "DTMF sent to the interpreter: " in joined[1]  # the access code, then Punjabi's
    with app.app_context():
        code = next(v for v in deployment().call_lines.vendors.values()
                    if "pa" in v.languages).languages["pa"]
    assert f"#ww{code}#" in joined[1]
    assert "the interpreter leaves" in joined[1] and "How satisfied are you" in joined[1]
    db.expire_all()
    (session,) = db.scalars(select(InterpreterSession))
    assert (session.language, round(session.minutes or 0, 1)) == ("pa", 4.5)  # from 0:30 to 5:00


def test_a_warm_transfer_consults_on_hold_then_hands_over(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=240, during=[
                          (20, control(client, app, north, "transfer",
                                       {"kind": "warm", "target_kind": "number", "target": FAR_END})),
                          (80, control(client, app, north, "transfer/complete"))])
    text = call.transcript.render()
    order = ["the caller is on hold (music)", f"{FAR_END} answers: the transfer joins",
             "the caller is back from hold", "the specialist leaves the conference (handed over)",
             "the far end hangs up", "How satisfied are you"]
    at = [text.find(line) for line in order]
    assert all(i >= 0 for i in at) and at == sorted(at), (at, text)
    assert "Press 1 to take the next caller" in text  # the specialist goes on to the next
    db.expire_all()
    (moved,) = db.scalars(select(CallTransfer))
    assert (moved.kind, moved.target, moved.outcome) == ("warm", FAR_END, "answered")
    assert record(db).hold_seconds == 60  # on hold from 0:20 to the hand-over at 1:20
    with app.app_context():  # the far end's hang-up after the hand-over is not a failure
        specialist = db.scalar(select(Specialist.id).where(Specialist.phone == NORTH))
        told = screen_pop.events_since(store(), specialist or 0, 0)
    assert not [e for e in told if "back with the caller" in e.get("message", "")
                or e.get("result") == "failed"], told  # (nor is an unhold owed for it)


def test_a_transfer_not_answered_brings_the_caller_back_to_the_specialist(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=200, unanswered=frozenset({FAR_END}), during=[
                          (20, control(client, app, north, "transfer",
                                       {"kind": "warm", "target_kind": "number", "target": FAR_END}))])
    text = call.transcript.render()
    assert f"{FAR_END} (transfer) does not answer" in text
    assert text.index("the caller is back from hold") > text.index("does not answer")
    assert "handed over" not in text and "the specialist hangs up with *" in text
    db.expire_all()
    (moved,) = db.scalars(select(CallTransfer))
    assert moved.outcome == "no-answer"
    with app.app_context():
        specialist = db.scalar(select(Specialist.id).where(Specialist.phone == NORTH))
        told = screen_pop.events_since(store(), specialist or 0, 0)
    assert any(e.get("type") == "control" and e["result"] == "failed"
               and "back with the caller" in e["message"] for e in told)


def test_a_crisis_transfer_flags_the_call(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH, talk=120,
               during=[(15, control(client, app, north, "transfer",
                                    {"kind": "warm", "target_kind": "crisis"})),
                       (45, control(client, app, north, "transfer/complete"))])
    found = record(db)
    assert (found.crisis, found.crisis_via) == (True, "specialist")
    (moved,) = db.scalars(select(CallTransfer))
    crisis_line = app.extensions["settings"].crisis_line_number
    assert (moved.target_kind, moved.target, moved.outcome) == ("crisis", crisis_line, "answered")


@pytest.mark.parametrize(("mode", "seen"), [("listen", "(muted: listening)"),
                                            ("whisper", "(coaching the specialist)"),
                                            ("barge", "the supervisor joins\n")])
def test_a_supervisor_joins_to_listen_whisper_or_barge(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient, north: dict[str, str],
        mode: str, seen: str) -> None:
    boss = token_for(db, "supervisor")
    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=120, during=[(10, control(client, app, boss, "supervise",
                                                     {"mode": mode, "phone": "+14165550777"}))])
    text = call.transcript.render() + "\n"
    assert "+14165550777 answers: the supervisor joins" in text and seen in text


def test_a_supervisor_on_the_line_changes_mode_without_being_called_again(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    boss, phone = token_for(db, "supervisor"), "+14165550777"
    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=150, during=[
                          (10, control(client, app, boss, "supervise", {"mode": "listen", "phone": phone})),
                          (40, control(client, app, boss, "supervise", {"mode": "whisper", "phone": phone})),
                          (70, control(client, app, boss, "supervise", {"mode": "barge", "phone": phone}))])
    text = call.transcript.render()
    order = [f"{phone} answers: the supervisor joins (muted: listening)",
             "the supervisor is now coaching the specialist", "the supervisor is now in the call",
             "the supervisor leaves", "How satisfied are you"]
    at = [text.find(line) for line in order]
    assert all(i >= 0 for i in at) and at == sorted(at), (at, text)
    assert [c["to"] for c in call.rest.calls.created] == [phone]  # one call, three modes


@pytest.fixture
def rest(app: Flask) -> RestApi:
    api = RestApi()
    app.extensions["twilio_client_factory"] = lambda: api
    return api


def test_bad_input_gets_a_reason_and_leaves_the_call_as_it_was(
        app: Flask, db: Session, twilio: SignedClient, client: FlaskClient, rest: RestApi,
        north: dict[str, str]) -> None:
    other = "+18075557300"
    db.add(Specialist(name="Other", phone=other, provider="north", languages="en,fr"))
    db.commit()
    theirs = token_for(db, "specialist", other)
    queue_caller(twilio, "CAlive", "+18075550133", ["1", "1"])
    rest.calls.states["CAlive"] = "in-progress"
    twiml(twilio.post("/agent/incoming", CallSid="CAagentN", From=NORTH))
    app.extensions["outbox"].settle()
    rest.calls.updated.clear()
    before = LiveCalls(app.extensions["store"]).get("CAlive")

    def post(path: str, body: dict[str, Any], headers: dict[str, str] = north) -> tuple[int, str]:
        resp = client.post(f"/api/calls/CAlive/{path}", json=body, headers=headers)
        return resp.status_code, (resp.get_json() or {}).get("error", "")

    assert post("hold", {"on": True}) == (409, "the conference has not started yet")
    twiml(twilio.post("/agent/conference-events", CallSid="CAagentN", FriendlyName="call-CAlive",
                      ConferenceSid="CF1", StatusCallbackEvent="conference-start"))
    assert post("hold", {"on": True}, theirs) == (403, "this call is not yours")
    assert post("transfer", {"target_kind": "number", "target": "call me"})[0] == 400
    assert post("transfer", {"target_kind": "provider", "target": "atlantis"}) == (
        400, "no provider 'atlantis'")
    assert post("transfer", {"target_kind": "line", "target": "nowhere"})[0] == 400
    assert post("interpreter", {"language": "fr"})[0] == 400
    assert post("interpreter", {"language": "xx"})[0] == 400
    assert post("transfer/complete", {})[0] == 409
    assert post("supervise", {"mode": "listen", "phone": "+14165550777"})[0] == 403
    assert post("hold", {"on": "maybe"})[0] == 400
    after = LiveCalls(app.extensions["store"]).get("CAlive")
    assert after is not None and before is not None
    assert (after.transfer, after.interpreters, after.hold_since) == (None, [], None)
    app.extensions["outbox"].settle()
    assert rest.calls.created == [] and rest.conferences.updates == [] and not rest.calls.updated
    twiml(twilio.post("/agent/after-call?ap=north&sp=1&cs=CAlive", CallSid="CAagentN",
                      DialCallStatus="completed"))  # the specialist left: the call is over
    assert post("hold", {"on": True})[0] == 404


def test_a_cold_transfer_hands_over_as_soon_as_the_far_end_answers(
        app: Flask, clock: SimClock, db: Session, client: FlaskClient,
        north: dict[str, str]) -> None:
    call = place_call(app, clock, "+18075550123", ["1", "1", *SURVEY], specialist=NORTH,
                      talk=200, during=[(30, control(client, app, north, "transfer", {
                          "kind": "cold", "target_kind": "line", "target": "health811"}))])
    text = call.transcript.render()
    assert "answers: the transfer joins" in text and "(handed over)" in text
    assert text.index("(handed over)") > text.index("answers: the transfer joins")
    db.expire_all()
    (moved,) = db.scalars(select(CallTransfer))
    assert (moved.kind, moved.target_kind, moved.target, moved.outcome) == (
        "cold", "line", "health811", "answered")


def test_a_transfer_to_another_provider_puts_the_caller_in_its_queue(
        app: Flask, db: Session, twilio: SignedClient, client: FlaskClient, rest: RestApi,
        north: dict[str, str]) -> None:
    queue_caller(twilio, "CAmove", "+18075550144", ["1", "1"])
    rest.calls.states["CAmove"] = "in-progress"
    twiml(twilio.post("/agent/incoming", CallSid="CAagentM", From=NORTH))
    twiml(twilio.post("/agent/conference-events", CallSid="CAagentM", FriendlyName="call-CAmove",
                      ConferenceSid="CF2", StatusCallbackEvent="conference-start"))
    resp = client.post("/api/calls/CAmove/transfer", json={"kind": "cold", "target_kind": "provider",
                                                           "target": "east"}, headers=north)
    assert resp.status_code == 202, resp.get_json()
    app.extensions["outbox"].settle()
    url = rest.calls.redirects["CAmove"]
    answer = twiml(twilio.post(path_of(url), CallSid="CAmove",
                               From="+18075550144"))
    queue = answer.find("Enqueue")
    with app.app_context():
        east = deployment().providers["east"].queue
        waiting = [sid for sid, _ in LiveCalls(store()).store.zrange("q:east:waiting")]
    assert queue is not None and queue.text == east and waiting == ["CAmove"]
    assert record(db).provider == "east"
