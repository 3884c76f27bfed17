"""The webhook hot path's shortcuts give exactly what the slower, library way gave.

Signatures cover every value of a repeated parameter, the call session is stored without a
deep copy, Twilio's requests skip the staff cookie session, and a deactivated specialist is
still turned away: each is held here to the behaviour it replaced.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest
from flask import Flask, session
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from config.shared_store import SharedStore
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import Specialist
from ivr.security import UnsavedSession
from ivr.session import CallSession
from tests.calls import add_specialists
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.twilio_helpers import SignedClient, twiml, verbs


def test_a_repeated_parameter_is_signed_with_every_value(twilio: SignedClient) -> None:
    """Twilio signs every value of a repeated name; so does the check (a dict kept only one)."""
    params = MultiDict([("CallSid", "CA1"), ("Digits", "2"), ("Digits", "1")])
    url = PUBLIC_BASE_URL + "/voice/status"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    resp = twilio.client.post("/voice/status", data=params, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 200


def test_call_session_is_stored_as_the_dataclass_reads() -> None:
    call = CallSession("CA1", started_at=1.5, candidate_regions=["north", "east"], need="food",
                       routing_trace=[{"rule": "north-in-hours", "matched": True, "why": "x"}])
    assert call.to_dict() == asdict(call)
    assert CallSession.from_dict(json.loads(json.dumps(call.to_dict()))) == call
    assert CallSession.from_dict({"call_sid": "CA2", "gone_field": 1}) == CallSession("CA2")


def test_webhooks_answer_without_touching_the_cookie_session(twilio: SignedClient) -> None:
    resp = twilio.post("/voice/incoming", CallSid="CA1", From="+18075550123")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers and "Cookie" not in resp.headers.get("Vary", "")


def test_only_twilio_requests_without_a_cookie_skip_the_session(app: Flask) -> None:
    signed = {"X-Twilio-Signature": "x"}
    with app.test_request_context("/voice/incoming", method="POST", headers=signed):
        assert isinstance(session._get_current_object(), UnsavedSession)  # type: ignore[attr-defined]
    for headers in ({}, {**signed, "Cookie": "session=abc"}):
        with app.test_request_context("/survey/reports/", headers=headers):
            assert not isinstance(session._get_current_object(), UnsavedSession)  # type: ignore[attr-defined]


def test_bridged_queue_result_goes_to_the_survey_without_the_store(
        app: Flask, twilio: SignedClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answered call ends here; it needs nothing from the session store."""
    store: SharedStore = app.extensions["store"]

    def down(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionError("store down")

    monkeypatch.setattr(store, "get_json", down)
    root = twiml(twilio.post("/voice/queue-result", CallSid="CA1", QueueResult="bridged"))
    assert verbs(root) == ["Redirect"] and root[0].text == "/survey/start"


def test_a_deactivated_specialist_is_turned_away_on_the_next_dial_in(
        twilio: SignedClient, db: Session) -> None:
    add_specialists(db)
    north = DEMO_SPECIALISTS["north"]
    taken = verbs(twiml(twilio.post("/agent/incoming", CallSid="CAa1", From=north)))
    assert taken[-2:] == ["Pause", "Redirect"]  # on duty: waiting for a caller
    specialist = db.query(Specialist).filter_by(phone=north).one()
    specialist.active = False
    db.commit()
    turned = twiml(twilio.post("/agent/incoming", CallSid="CAa2", From=north))
    assert verbs(turned)[-1] == "Hangup" and "Redirect" not in verbs(turned)
