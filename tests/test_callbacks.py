"""Callbacks (#15): the offer on hold, the number confirmed, the place kept, the call back
with its survey, retries, and the number erased. Simulated calls with signed webhooks."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.shared_store import SharedStore
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import Callback, CallRecord
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import CallerScript, Exchange
from ivr.simulator.engine import Specialist as SimSpecialist
from ivr.simulator.transport import FlaskTransport
from ivr.surge import callbacks_owed
from routing.engine.default_rules import default_document
from routing.store.queue_figures import QueueFigures
from survey.reports.build import full_report
from survey.reports.export import rows as rows_of
from survey.reports.period import Period
from tests.calls import add_specialists
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.survey_helpers import answers
from tests.test_routing_publish import publish_doc
from tests.twilio_helpers import SignedClient, twiml

NORTH = DEMO_SPECIALISTS["north"]
CALLER_A, CALLER_B, CALLER_C = "+17056730123", "+17056730188", "+17056730177"
MENUS = ["1", "2"]  # English, housing (Sudbury's exchange: north)
SURVEY = ["5", "1", "1", "3"]  # satisfaction, again, better prepared, no follow-up


@pytest.fixture(autouse=True)
def _callbacks_on(app: Flask, db: Session, store: SharedStore, clock: SimClock) -> None:
    """North's callers are offered a callback from the first hold message."""
    add_specialists(db)
    doc = default_document()
    doc["rules"].insert(0, {"id": "north-callback", "when": {"regions": ["north"]},
                            "then": {"type": "callback", "after_seconds": 0}})
    publish_doc(db, store, clock, doc)


def exchange_for(app: Flask, clock: SimClock) -> Exchange:
    exchange = Exchange(FlaskTransport(app, PUBLIC_BASE_URL, AUTH_TOKEN), clock.current,
                        clock_sink=clock.set)
    app.extensions["twilio_client_factory"] = lambda: exchange.rest
    return exchange


def later(exchange: Exchange, **delta: float) -> None:
    """The next call placed starts this much later (each call's clock starts there)."""
    exchange.start += timedelta(**delta)


def rows(db: Session) -> list[Callback]:
    db.expire_all()
    return list(db.scalars(select(Callback).order_by(Callback.id)))


def record(db: Session, call_sid: str) -> CallRecord:
    db.expire_all()
    found = db.scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
    assert found is not None
    return found


def test_caller_keeps_place_is_called_back_first_and_answers_the_survey(
        app: Flask, clock: SimClock, db: Session, store: SharedStore) -> None:
    exchange = exchange_for(app, clock)
    # A: hears the offer, presses 1, confirms the caller ID with 1, and hangs up.
    a = exchange.place_call(CallerScript(CALLER_A, [*MENUS, "1", "1"]))
    text = exchange.transcript.render()
    assert "To keep your place in line and be called back" in text
    assert "We can call you back at 7 0 5, 6 7 3, 0 1 2 3" in text
    assert "caller leaves queue 211-north" in text
    (owed,) = rows(db)
    assert (owed.status, owed.number, owed.number_source) == ("owed", CALLER_A, "caller_id")
    assert record(db, a.sid).result == "callback"
    assert callbacks_owed(db, clock.current) == {"north": 1}  # the supervisors' surge view
    live = QueueFigures(store).snapshot("north", clock.current.timestamp())
    assert (live.waiting, live.callbacks) == (0, 1)  # the live figures count it
    # B joins after A; the specialist dials in: A's callback first, then B.
    exchange.callees = [("human", ["1", *SURVEY], "completed")]
    later(exchange, minutes=2)
    b = exchange.place_call(CallerScript(CALLER_B, [*MENUS]),
                            SimSpecialist(NORTH, answer_after=0, after_call_keys=["1", "1"]))
    text = exchange.transcript.render()
    whisper = text.index("Callback: English")
    assert whisper < text.index("Next caller: English")  # the callback came before B
    assert "Hello. This is a call for the person who asked to be called back" in text
    (callee,) = exchange.outbound
    assert exchange.rest.calls.created[0]["to"] == CALLER_A
    assert exchange.rest.calls.created[0]["machine_detection"] == "Enable"
    (done,) = rows(db)
    assert (done.status, done.number, done.callback_call_sid) == ("completed", None, callee.sid)
    assert answers(db, callee.sid)["satisfaction"] == "5"  # the survey followed the call back
    assert record(db, callee.sid).result == "answered"
    assert record(db, b.sid).result == "answered"
    assert callbacks_owed(db, clock.current) == {}
    assert QueueFigures(store).snapshot("north", clock.current.timestamp()).callbacks == 0
    report = full_report(db, Period(date(2026, 11, 1), date(2026, 11, 30), "America/Toronto"))
    cb = report["callbacks"]["overall"]
    assert (cb["offered"], cb["accepted"], cb["completed"], cb["failed"]) == (1, 1, 1, 0)
    # accepted at A's leave, connected when the call back was answered (minutes later)
    assert cb["time_to_callback_median_s"] and cb["time_to_callback_median_s"] > 60
    csv_rows = [r for r in rows_of(report) if r["section"] == "callbacks" and r["key"] == "north"]
    assert {"measure": "completed", "value": 1} in [
        {"measure": r["measure"], "value": r["value"]} for r in csv_rows]


def test_invalid_keyed_number_is_asked_twice_more_then_the_caller_stays(
        app: Flask, clock: SimClock, db: Session) -> None:
    exchange = exchange_for(app, clock)
    # 2: another number; then three numbers that are not North American ones.
    exchange.place_call(CallerScript(CALLER_A, [*MENUS, "1", "2", "12345#", "5550000000#",
                                                "4449999#", "hangup"]))
    text = exchange.transcript.render()
    assert text.count("Please enter your 10-digit phone number") == 3
    assert text.count("that is not a number we can call back") == 3
    assert "You keep your place in line" in text
    assert "caller leaves queue" not in text
    (row,) = rows(db)
    assert (row.status, row.number) == ("cancelled", None)


def test_keyed_number_is_read_back_and_only_a_confirmed_one_is_owed(
        app: Flask, clock: SimClock, db: Session) -> None:
    exchange = exchange_for(app, clock)
    exchange.place_call(CallerScript(CALLER_A, [*MENUS, "1", "2", "4165550199#", "silence",
                                                "silence", "silence", "hangup"]))
    text = exchange.transcript.render()
    assert text.count("You entered 4 1 6, 5 5 5, 0 1 9 9") == 3
    (row,) = rows(db)
    assert (row.status, row.number) == ("cancelled", None)  # never confirmed: erased
    exchange.place_call(CallerScript(CALLER_B, [*MENUS, "1", "2", "4165550199#", "1"]))
    owed = rows(db)[1]
    assert (owed.status, owed.number, owed.number_source) == ("owed", "+14165550199", "keyed")


def test_no_answer_is_retried_spaced_then_given_up_and_the_number_erased(
        app: Flask, clock: SimClock, db: Session) -> None:
    exchange = exchange_for(app, clock)
    exchange.place_call(CallerScript(CALLER_A, [*MENUS, "1", "1"]))
    settings = app.extensions["settings"]
    later(exchange, minutes=1)
    results = []
    for attempt in range(settings.callback_attempts):
        exchange.callees = [("human", [], "no-answer") if attempt % 2 == 0
                            else ("machine", [], "completed")]
        exchange.place_call(CallerScript(CALLER_C, [*MENUS, "silence", "hangup"]),
                            SimSpecialist(NORTH, answer_after=0, after_call_keys=[]))
        results.append(rows(db)[0].status)
        if attempt == 0:  # an idle specialist looks again well before the retry is due
            signed = SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
            idle = twiml(signed.post("/agent/incoming", CallSid="CAidle", From=NORTH))
            pause = idle.find("Pause")
            assert pause is not None and idle.find("Redirect") is not None
            assert int(pause.get("length", "0")) <= min(30, settings.callback_retry_seconds)
        # too soon: the next try waits for the spacing
        exchange.callees = []
        assert len(exchange.rest.calls.created) == attempt + 1
        later(exchange, seconds=settings.callback_retry_seconds + 600)
    assert results == ["owed", "owed", "failed"]
    row = rows(db)[0]
    assert (row.attempts, row.number, row.status) == (3, None, "failed")
    text = exchange.transcript.render()
    assert "The callback was not answered. Next caller." in text
    machine_lines = [line for line in exchange.transcript.lines if "recorded by the machine" in line.who]
    assert not machine_lines  # the machine heard nothing


def test_ordering_a_callback_waits_for_those_who_joined_before_it(
        app: Flask, clock: SimClock, db: Session, store: SharedStore) -> None:
    """C joined before A and still holds: the specialist takes C; only then A's callback."""
    figures = QueueFigures(store)
    joined_c = clock.current.timestamp() - 60
    figures.caller_enqueued("north", "CA-still-holding", joined_c)
    exchange = exchange_for(app, clock)
    exchange.place_call(CallerScript(CALLER_A, [*MENUS, "1", "1"]))
    signed = SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
    first = twiml(signed.post("/agent/incoming", CallSid="CAagent1", From=NORTH))
    room = first.find("Dial/Conference")
    assert room is not None and room.text == "call-CA-still-holding"  # C, who joined before A
    second = twiml(signed.post("/agent/incoming", CallSid="CAagent2", From=NORTH))
    queue = second.find("Dial/Queue")
    assert queue is not None and queue.text == f"cb-{rows(db)[0].id}"


def test_concurrent_specialists_never_claim_the_same_callback(
        app: Flask, clock: SimClock, db: Session) -> None:
    exchange = exchange_for(app, clock)
    for number in (CALLER_A, CALLER_B):
        exchange.place_call(CallerScript(number, [*MENUS, "1", "1"]))
    got: list[str] = []
    lock = threading.Lock()

    def dial_in(index: int) -> None:
        signed = SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
        root = twiml(signed.post("/agent/incoming", CallSid=f"CAagent{index}", From=NORTH))
        queue = root.find("Dial/Queue")
        with lock:
            got.append((queue.text or "") if queue is not None else "")

    threads = [threading.Thread(target=dial_in, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [f"cb-{row.id}" for row in rows(db)]
    claimed = [name for name in got if name.startswith("cb-")]
    assert sorted(claimed) == sorted(ids)  # each callback once, none twice
    assert got.count("") == 4  # the others: nobody else waits, so they wait to look again
    assert all(row.status == "dialing" and row.attempts == 1 for row in rows(db))


def test_the_sweep_gives_up_stale_callbacks_and_erases_their_numbers(
        app: Flask, clock: SimClock, db: Session) -> None:
    exchange = exchange_for(app, clock)
    exchange.place_call(CallerScript(CALLER_A, [*MENUS, "1", "1"]))
    assert rows(db)[0].number == CALLER_A
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["callbacks", "sweep"])
    assert "erased: 0" in kept.output and rows(db)[0].number == CALLER_A  # not stale yet
    clock.set(clock.current + timedelta(hours=13))
    result = runner.invoke(args=["callbacks", "sweep"])
    assert "erased: 1" in result.output, result.output
    (row,) = rows(db)
    assert (row.status, row.number, row.last_result) == ("failed", None, "stale")


def test_an_access_request_finds_and_erases_an_owed_callback(
        app: Flask, clock: SimClock, db: Session) -> None:
    exchange = exchange_for(app, clock)
    exchange.place_call(CallerScript(CALLER_A, [*MENUS, "1", "1"]))
    exchange.place_call(CallerScript(CALLER_B, [*MENUS, "1", "1"]))
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["privacy", "export", "--number", CALLER_A])
    assert '"number_held": true' in exported.output and CALLER_A not in exported.output
    erased = runner.invoke(args=["privacy", "erase", "--number", CALLER_A, "--yes"])
    assert "1 callbacks" in erased.output, erased.output
    mine, other = rows(db)
    assert (mine.status, mine.number, mine.caller_hash) == ("cancelled", None, None)
    assert (other.status, other.number) == ("owed", CALLER_B)  # someone else's is kept
    signed = SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
    queue = twiml(signed.post("/agent/incoming", CallSid="CAagent", From=NORTH)).find("Dial/Queue")
    assert queue is not None and queue.text == f"cb-{other.id}"  # never the erased one
