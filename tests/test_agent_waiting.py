"""A specialist waiting on a quiet queue stays on it, signed in: the system looks again every
few seconds (a Pause, then a Redirect) and claims the first caller who comes."""

from __future__ import annotations

import urllib.parse

from flask import Flask
from sqlalchemy.orm import Session

from ivr.calls import figures
from tests.calls import add_specialists
from tests.twilio_helpers import SignedClient, spoken, twiml, verbs


def dial_of(root):  # type: ignore[no-untyped-def]
    dial = root.find("Dial")
    assert dial is not None, verbs(root)
    return dial


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def signed_in(app: Flask, provider: str) -> int:
    with app.app_context():
        return figures().snapshot(provider, 0.0).specialists


def test_waiting_specialist_looks_again_signed_in_until_a_caller_comes(
        app: Flask, db: Session, twilio: SignedClient) -> None:
    phone = add_specialists(db)["north"]
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagent1", From=phone))
    assert "No callers are waiting" in spoken(root)
    for _ in range(3):  # a quiet line: a short pause, then the system looks again
        assert verbs(root)[-2:] == ["Pause", "Redirect"], verbs(root)
        pause = root.find("Pause")
        assert pause is not None and int(pause.get("length", "0")) == app.extensions[
            "settings"].idle_poll_seconds
        assert signed_in(app, "north") == 1
        redirect = root.find("Redirect")
        assert redirect is not None and redirect.text
        again = path_of(redirect.text)
        root = twiml(twilio.post(again, CallSid="CAagent1", From=phone))
        assert "Hangup" not in verbs(root) and "Gather" not in verbs(root)
    with app.app_context():
        figures().caller_enqueued("north", "CAcaller1", 1.0)
    root = twiml(twilio.post(again, CallSid="CAagent1", From=phone))
    assert "Next caller" in spoken(root)  # the whisper: about the caller now claimed
    room = dial_of(root).find("Conference")
    assert room is not None and room.text == "call-CAcaller1"
    # a call that was answered and ended: the "next caller" offer, as before
    root = twiml(twilio.post(path_of(dial_of(root).get("action", "")), CallSid="CAagent1",
                             From=phone, DialCallStatus="completed"))
    assert "Gather" in verbs(root)
    assert signed_in(app, "north") == 0


def test_a_specialist_who_hangs_up_leaves_the_board_and_the_waiting_at_once(
        app: Flask, db: Session, twilio: SignedClient) -> None:
    """Their leg's status callback takes them off the board's count and out of the waiting
    (no consult or wake reaches them), both in one store round trip (#16)."""
    from ivr import idle_agents

    phone = add_specialists(db)["north"]
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagent2", From=phone))
    assert "No callers are waiting" in spoken(root)
    shared = app.extensions["store"]
    assert signed_in(app, "north") == 1
    assert shared.zrank(idle_agents.waiting_key("north"), "CAagent2") is not None
    applied: list[int] = []
    target = getattr(shared, "inner", shared)  # Redis behind its breaker, or the memory store
    apply = target.apply

    def counted(writes: list[object]) -> None:
        applied.append(len(writes))
        apply(writes)

    target.apply = counted
    try:
        twilio.post("/agent/status", CallSid="CAagent2", From=phone, CallStatus="completed")
    finally:
        del target.apply
    assert signed_in(app, "north") == 0
    assert shared.zrank(idle_agents.waiting_key("north"), "CAagent2") is None
    assert applied == [2]
