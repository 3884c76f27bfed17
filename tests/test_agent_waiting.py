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
