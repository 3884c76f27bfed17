"""Each answered call is a conference the system chose (#12): a specialist claims a caller
before hearing about them, so the whisper, the screen pop and the caller joined are one.

Eight specialists dial in at once with eight callers waiting (the issue's case: with the old
peek at the head of the queue, 5 of 8 heard about someone other than the caller they got)."""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any, cast

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.extensions import store
from config.shared_store import SharedStore
from ivr import screen_pop
from ivr.agent import roster
from ivr.calls import figures
from ivr.conference_state import LiveCalls
from ivr.models import CallRecord, Specialist
from ivr.simulator.cli import SimClock
from ivr.simulator.rest import RestApi
from routing.store.queue_figures import QueueFigures
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.twilio_helpers import SignedClient, spoken, twiml

NEEDS = {"1": "food", "2": "housing", "3": "health", "4": "income"}
# Eight callers, each told apart by what the whisper says: language and need.
CALLERS = [(f"CAcaller{i}", f"+180755501{i:02d}", lang, need)
           for i, (lang, need) in enumerate((lang, need) for lang in ("1", "2") for need in NEEDS)]


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def queue_caller(signed: SignedClient, sid: str, number: str, keys: list[str]) -> None:
    """Walk the menus as Twilio does (each Gather's action, with the key pressed) to the queue."""
    url = "/voice/incoming"
    extra: dict[str, str] = {}
    for key in keys:
        root = twiml(signed.post(url, CallSid=sid, From=number, **extra))
        gather = root.find("Gather")
        assert gather is not None, ET.tostring(root)
        url, extra = path_of(gather.get("action", "")), {"Digits": key}
    root = twiml(signed.post(url, CallSid=sid, From=number, **extra))
    assert root.find("Enqueue") is not None, ET.tostring(root)


@pytest.fixture
def rest(app: Flask) -> RestApi:
    api = RestApi()
    app.extensions["twilio_client_factory"] = lambda: api
    return api


def test_eight_specialists_at_once_each_hear_about_the_caller_they_are_joined_to(
        app: Flask, db: Session, twilio: SignedClient, rest: RestApi) -> None:
    phones = [f"+1807555{7000 + i}" for i in range(8)]
    for i, phone in enumerate(phones):
        db.add(Specialist(name=f"North {i}", phone=phone, provider="north", languages="en,fr"))
    db.commit()
    for sid, number, lang, need in CALLERS:
        queue_caller(twilio, sid, number, [lang, need])
        rest.calls.states[sid] = "in-progress"  # (Twilio knows them: they are on hold)
    got: dict[str, ET.Element] = {}
    lock, start = threading.Lock(), threading.Barrier(len(phones))

    def dial_in(index: int) -> None:
        signed = SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
        start.wait()
        root = twiml(signed.post("/agent/incoming", CallSid=f"CAagent{index}", From=phones[index]))
        with lock:
            got[phones[index]] = root

    threads = [threading.Thread(target=dial_in, args=(i,)) for i in range(len(phones))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    app.extensions["outbox"].settle()

    facts = {sid: (lang, NEEDS[need]) for sid, _, lang, need in CALLERS}
    joined: list[str] = []
    for index, phone in enumerate(phones):
        root = got[phone]
        room = root.find("Dial/Conference")
        assert room is not None and (room.text or "").startswith("call-"), ET.tostring(root)
        caller = (room.text or "").removeprefix("call-")
        joined.append(caller)
        lang, need = facts[caller]
        whisper = spoken(root)
        assert ("French" if lang == "2" else "English") in whisper, whisper
        assert f"needs help with {need}" in whisper, whisper
        specialist_id = db.scalar(select(Specialist.id).where(Specialist.phone == phone))
        assert specialist_id is not None
        with app.app_context():
            pops = screen_pop.events_since(store(), specialist_id, 0)
        assert [pop["call_sid"] for pop in pops] == [caller]  # the pop: the same caller
        # Twilio was asked to bring exactly that caller to that conference, for that specialist
        redirect = rest.calls.redirects[caller]
        assert urllib.parse.urlsplit(redirect).path == "/voice/join"
        assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect).query))["sp"] == str(
            specialist_id)
        answer = twiml(twilio.post(path_of(redirect), CallSid=caller, From="+18075550100"))
        caller_room = answer.find("Dial/Conference")
        assert caller_room is not None and caller_room.text == room.text
        assert f"CAagent{index}" not in caller  # (sanity: a caller, not a specialist leg)
    assert sorted(joined) == sorted(facts)  # every caller joined once, none twice
    db.expire_all()
    answered = {r.call_sid: r.specialist_id for r in db.scalars(select(CallRecord))}
    ids = {phone: db.scalar(select(Specialist.id).where(Specialist.phone == phone))
           for phone in phones}
    assert answered == {caller: ids[phone] for caller, phone in zip(joined, phones, strict=True)}


def test_a_caller_gone_before_the_redirect_sends_the_specialist_back_to_waiting(
        app: Flask, db: Session, twilio: SignedClient, rest: RestApi) -> None:
    db.add(Specialist(name="North", phone="+18075557100", provider="north", languages="en,fr"))
    db.commit()
    queue_caller(twilio, "CAgone", "+18075550111", ["1", "1"])
    rest.calls.states.update({"CAgone": "completed", "CAagentX": "in-progress"})  # hung up
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagentX", From="+18075557100"))
    assert root.find("Dial/Conference") is not None
    app.extensions["outbox"].settle()
    assert "CAgone" not in rest.calls.redirects  # Twilio refused: not in progress (21220)
    back = rest.calls.redirects["CAagentX"]  # so the specialist is sent back to waiting
    assert urllib.parse.urlsplit(back).path == "/agent/idle"
    told = twiml(twilio.post(path_of(back), CallSid="CAagentX", From="+18075557100"))
    assert "hung up before you were connected" in spoken(told)
    assert told.find("Pause") is not None and told.find("Redirect") is not None


def test_a_late_redirect_is_made_up_by_the_callers_own_hold_step(
        app: Flask, db: Session, twilio: SignedClient, clock: SimClock) -> None:
    """Twilio's REST API is away: the claimed caller leaves the queue for the conference at
    their next hold step, so a lost request costs one hold segment, never the caller."""

    def unreachable() -> RestApi:
        raise OSError("api.twilio.com unreachable")

    app.extensions["twilio_client_factory"] = unreachable
    db.add(Specialist(name="North", phone="+18075557200", provider="north", languages="en,fr"))
    db.commit()
    queue_caller(twilio, "CAlate", "+18075550122", ["1", "1"])
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagentY", From="+18075557200"))
    assert root.find("Dial/Conference") is not None
    app.extensions["outbox"].settle()  # the redirect failed: still owed
    clock.set(clock.current + timedelta(seconds=10))
    hold = twiml(twilio.post("/voice/hold?ap=north", CallSid="CAlate", From="+18075550122",
                             QueueTime="40", QueuePosition="1"))
    assert hold.find("Leave") is not None
    after = twiml(twilio.post("/voice/queue-result", CallSid="CAlate", From="+18075550122",
                              QueueResult="leave", QueueTime="40"))
    redirect = after.find("Redirect")
    assert redirect is not None and urllib.parse.urlsplit(redirect.text or "").path == "/voice/join"
    answer = twiml(twilio.post(path_of(redirect.text or ""), CallSid="CAlate", From="+18075550122"))
    room = answer.find("Dial/Conference")
    assert room is not None and room.text == "call-CAlate"


class BothReadTheHead:
    """The shared store (real, in-process or Redis), with the claim's race made certain: each
    of two claimers reads the head of the line before either takes it."""

    def __init__(self, inner: SharedStore, barrier: threading.Barrier) -> None:
        self.inner, self.barrier = inner, barrier

    def zrange(self, key: str, start: int = 0, stop: int = -1) -> list[tuple[str, float]]:
        found = self.inner.zrange(key, start, stop)
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait(timeout=1)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_two_claims_that_read_the_same_head_take_two_callers(store: SharedStore) -> None:
    QueueFigures(store).caller_enqueued("north", "CAfirst", 1.0)
    QueueFigures(store).caller_enqueued("north", "CAsecond", 2.0)
    racing = QueueFigures(cast(SharedStore, BothReadTheHead(store, threading.Barrier(2))))
    got: list[str | None] = []

    def claim() -> None:
        claimed = racing.claim_next("north")
        got.append(claimed[0] if claimed else None)

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got, key=str) == ["CAfirst", "CAsecond"]
    assert QueueFigures(store).waiting_callers("north") == []


def test_a_claim_whose_request_fails_gives_the_caller_back_and_sends_no_redirect(
        app: Flask, db: Session, twilio: SignedClient, rest: RestApi,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The view fails after the claim (here its whisper): the specialist is answered Twilio's
    <Dial><Queue> (the fallback), the caller is back in line for it, with no live call left
    to lead them into an empty conference, and no redirect pulls them out of the queue."""
    db.add(Specialist(name="North", phone="+18075557200", provider="north", languages="en,fr"))
    db.commit()
    queue_caller(twilio, "CAkept", "+18075550122", ["1", "1"])
    rest.calls.states.update({"CAkept": "in-progress", "CAagentK": "in-progress"})

    def broken(*_: Any) -> str:
        raise RuntimeError("the whisper broke")

    monkeypatch.setattr("ivr.conference.whisper_text", broken)
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagentK", From="+18075557200"))
    assert root.find("Dial/Queue") is not None, ET.tostring(root)
    app.extensions["outbox"].settle()
    assert "CAkept" not in rest.calls.redirects
    with app.app_context():
        assert LiveCalls(store()).get("CAkept") is None
        assert figures().position("north", "CAkept") is not None  # still in line, claimable


def test_claims_go_on_while_the_database_is_away(
        app: Flask, db: Session, twilio: SignedClient, rest: RestApi) -> None:
    """The claim and its redirect need the store only: with the database's breaker open the
    specialist still gets the caller, in a conference, and the caller is redirected there."""
    db.add(Specialist(name="North", phone="+18075557200", provider="north", languages="en,fr"))
    db.commit()
    queue_caller(twilio, "CAdbaway", "+18075550133", ["1", "1"])
    rest.calls.states.update({"CAdbaway": "in-progress", "CAagentD": "in-progress"})
    with app.app_context():  # the roster held in memory knows them from before the outage
        assert roster().lookup("+18075557200").specialist is not None
    breaker = app.extensions["db_breaker"]
    for _ in range(10):
        breaker.failed("the database is away")
    assert breaker.is_open
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagentD", From="+18075557200"))
    room = root.find("Dial/Conference")
    assert room is not None and room.text == "call-CAdbaway", ET.tostring(root)
    app.extensions["outbox"].settle()
    assert urllib.parse.urlsplit(rest.calls.redirects["CAdbaway"]).path == "/voice/join"


def test_a_caller_who_hangs_up_before_a_lost_redirect_frees_their_specialist(
        app: Flask, db: Session, twilio: SignedClient, rest: RestApi) -> None:
    """Twilio fails the redirect (tried once), then the caller hangs up: their status
    callback ends the claim and sends the specialist, alone in the conference, back to
    waiting, told the caller hung up."""
    db.add(Specialist(name="North", phone="+18075557200", provider="north", languages="en,fr"))
    db.commit()
    queue_caller(twilio, "CAquit", "+18075550144", ["1", "1"])
    rest.calls.states.update({"CAquit": "in-progress", "CAagentQ": "in-progress"})
    rest.calls.failing.add("CAquit")
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagentQ", From="+18075557200"))
    assert root.find("Dial/Conference") is not None
    app.extensions["outbox"].settle()
    assert "CAquit" not in rest.calls.redirects and "CAagentQ" not in rest.calls.redirects
    twilio.post("/voice/status", CallSid="CAquit", From="+18075550144", CallStatus="completed",
                CallDuration="95")
    app.extensions["outbox"].settle()
    back = rest.calls.redirects.get("CAagentQ")
    assert back is not None and urllib.parse.urlsplit(back).path == "/agent/idle", back
    told = twiml(twilio.post(path_of(back), CallSid="CAagentQ", From="+18075557200"))
    assert "hung up before you were connected" in spoken(told)
    with app.app_context():
        live = LiveCalls(store()).get("CAquit")
        assert live is not None and live.ended_at


def test_a_caller_twilio_bridges_to_a_degraded_worker_ends_another_specialists_claim(
        app: Flask, db: Session, twilio: SignedClient, rest: RestApi) -> None:
    """A worker without the store or the database answers <Dial><Queue>, and Twilio bridges
    the head of the queue, whom another specialist has just claimed (their redirect not yet
    through): the claim is over, so its redirect never pulls the caller out of that bridge,
    and the claiming specialist is sent back to waiting."""
    for name, phone in (("Claims", "+18075557300"), ("Degraded", "+18075557301")):
        db.add(Specialist(name=name, phone=phone, provider="north", languages="en,fr"))
    db.commit()
    degraded = db.scalar(select(Specialist.id).where(Specialist.phone == "+18075557301"))
    queue_caller(twilio, "CAboth", "+18075550155", ["1", "1"])
    rest.calls.states.update({"CAboth": "in-progress", "CAclaims": "in-progress"})
    rest.calls.failing.add("CAboth")  # the redirect meets a bad moment at Twilio: lost
    claimed = twiml(twilio.post("/agent/incoming", CallSid="CAclaims", From="+18075557300"))
    assert claimed.find("Dial/Conference") is not None
    app.extensions["outbox"].settle()
    twiml(twilio.post(f"/agent/connect?sp={degraded}&ap=north", CallSid="CAboth",
                      From="+18075550155", DequeingCallSid="CAdegraded", QueueTime="20"))
    app.extensions["outbox"].settle()
    back = rest.calls.redirects.get("CAclaims")
    assert back is not None and urllib.parse.urlsplit(back).path == "/agent/idle"
    assert "missed=1" in back
    rest.calls.failing.clear()  # Twilio is well again: nothing redirects the caller out
    app.extensions["outbox"].settle()
    assert "CAboth" not in rest.calls.redirects
    with app.app_context():  # nor will their hold step (they are bridged: it has none)
        live = LiveCalls(store()).get("CAboth")
        assert live is not None and live.ended_at
    db.expire_all()
    assert db.scalars(select(CallRecord)).one().specialist_id == degraded
