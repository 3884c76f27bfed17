"""A specialist waiting on a quiet queue stays on it: Twilio ends an empty-queue Dial at its
timeout with DialCallStatus=no-answer, and the specialist must dial the queue again, signed in."""

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


def test_waiting_specialist_redials_the_queue_through_several_timeouts(
        app: Flask, db: Session, twilio: SignedClient) -> None:
    phone = add_specialists(db)["north"]
    dial = dial_of(twiml(twilio.post("/agent/incoming", CallSid="CAagent1", From=phone)))
    assert int(dial.get("timeout", "30")) == 600  # Twilio's maximum, not its 30 s default
    queue = dial.find("Queue")
    assert queue is not None and queue.text == "211-north"
    for _ in range(3):  # three empty-queue timeouts in a row
        root = twiml(twilio.post(path_of(dial.get("action", "")), CallSid="CAagent1",
                                 From=phone, DialCallStatus="no-answer"))
        assert "Still waiting for a caller" in spoken(root)
        assert "Hangup" not in verbs(root) and "Gather" not in verbs(root)
        dial = dial_of(root)
        again = dial.find("Queue")
        assert again is not None and again.text == "211-north"
        assert signed_in(app, "north") == 1
    # a call that was answered and ended: the "next caller" offer, as before
    root = twiml(twilio.post(path_of(dial.get("action", "")), CallSid="CAagent1", From=phone,
                             DialCallStatus="completed"))
    assert "Gather" in verbs(root)
    assert signed_in(app, "north") == 0
