"""Queue figures heal: no ghost callers, Twilio's position on hold, waits from talk times."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from ivr.calls import figures
from routing.engine.figures import Figures, estimate_wait
from routing.store.queue_figures import GHOST_AFTER_SECONDS, QueueFigures
from tests.calls import add_specialists
from tests.twilio_helpers import SignedClient, spoken, twiml, verbs

CALLER = "+18075550123"  # north from caller ID


def waiting(app: Flask) -> list[str]:
    with app.app_context():
        return [sid for sid, _ in figures().store.zrange("q:north:waiting")]


def test_status_callback_before_the_enqueue_leaves_no_ghost(app: Flask, twilio: SignedClient) -> None:
    twilio.post("/voice/incoming", CallSid="CAg", From=CALLER)
    twilio.post("/voice/language", CallSid="CAg", From=CALLER, Digits="1")
    twilio.post("/voice/status", CallSid="CAg", From=CALLER, CallStatus="completed", CallDuration="9")
    root = twiml(twilio.post("/voice/need", CallSid="CAg", From=CALLER, Digits="1"))
    assert "Enqueue" in verbs(root)  # the late webhook still answers properly...
    assert waiting(app) == []  # ...and the caller, long gone, is not counted as waiting


def test_status_callback_after_the_enqueue_removes_the_caller(app: Flask, twilio: SignedClient) -> None:
    twilio.post("/voice/incoming", CallSid="CAh", From=CALLER)
    twilio.post("/voice/language", CallSid="CAh", From=CALLER, Digits="1")
    twilio.post("/voice/need", CallSid="CAh", From=CALLER, Digits="1")
    assert waiting(app) == ["CAh"]
    twilio.post("/voice/status", CallSid="CAh", From=CALLER, CallStatus="completed", CallDuration="60")
    assert waiting(app) == []


def test_a_caller_whose_end_was_never_heard_expires(app: Flask) -> None:
    with app.app_context():
        queue = QueueFigures(figures().store)
        queue.caller_enqueued("north", "CAlost", 1000.0)
        queue.caller_enqueued("north", "CAnow", 1000.0 + GHOST_AFTER_SECONDS)
        snap = queue.snapshot("north", 1001.0 + GHOST_AFTER_SECONDS)
    assert snap.waiting == 1 and waiting(app) == ["CAnow"]


def test_hold_announces_twilios_queue_position(twilio: SignedClient) -> None:
    twilio.post("/voice/incoming", CallSid="CAp", From=CALLER)
    twilio.post("/voice/language", CallSid="CAp", From=CALLER, Digits="1")
    twilio.post("/voice/need", CallSid="CAp", From=CALLER, Digits="1")
    root = twiml(twilio.post("/voice/hold?p=north", CallSid="CAp", QueuePosition="7", QueueTime="5"))
    assert "caller number 7 in line" in spoken(root)


def test_expected_wait_comes_from_talk_time_and_specialists_on_duty() -> None:
    # 3 specialists, 6-minute calls: the 6th in line is reached in about 6 x 360 / 3 = 720 s
    assert estimate_wait(Figures(6, 100.0, 50.0, 3, handle_time=360.0), 6) == 720
    # nobody has finished a call yet: the recent waits, scaled by place in line
    assert estimate_wait(Figures(4, 100.0, 240.0, 1), 5) == 300


def test_talk_times_feed_the_estimate(app: Flask, twilio: SignedClient, db: Session) -> None:
    """The bridge's own length (DialCallDuration on the specialist's Dial action) is the talk
    time; the caller's status callback, which comes after the survey, adds none."""
    phone = add_specialists(db)["north"]
    twilio.post("/agent/after-call?ap=north&sp=1", CallSid="CAagent", From=phone,
                DialCallStatus="completed", DialCallDuration="300", DialCallSid="CAt")
    with app.app_context():
        store = figures().store
        store.set_json("call:CAt", {"call_sid": "CAt", "provider": "north",
                                    "answered_at": app.extensions["clock"]().timestamp() - 900,
                                    "enqueued_at": 1.0})
    twilio.post("/voice/status", CallSid="CAt", From=CALLER, CallStatus="completed", CallDuration="1000")
    with app.app_context():
        snap = QueueFigures(figures().store).snapshot("north", 0.0)
    assert snap.handle_time == 300.0


def test_the_hold_view_is_the_separate_reads_in_one(app: Flask) -> None:
    """What the hold message reads in one round trip (#16) is what the reads one by one say:
    the caller's place, the callbacks owed that joined before them, every provider's figures."""
    with app.app_context():
        queue = QueueFigures(figures().store)
        for sid, at in (("CAa", 100.0), ("CAb", 200.0), ("CAc", 300.0)):
            queue.caller_enqueued("north", sid, at)
        queue.callback_owed("north", 1, 150.0)
        queue.callback_owed("north", 2, 250.0)
        queue.specialist_signed_in("north", "CAagent", 50.0)
        queue.caller_left("north", "CAz", waited=40.0)
        queue.talk_ended("north", 300.0)
        one_by_one = (queue.position("north", "CAc"), queue.callbacks_before("north", 300.0),
                      queue.snapshot("north", 400.0))
        assert queue.hold_view("north", 400.0, "CAc", 300.0) == one_by_one
        assert one_by_one[:2] == (3, 2) and one_by_one[2].specialists == 1
        assert queue.hold_view("north", 400.0, None, 200.0)[:2] == (None, 1)
        assert queue.snapshots({"north", "south"}, 400.0) == {
            "north": one_by_one[2], "south": queue.snapshot("south", 400.0)}
