"""Every webhook: 403 without a valid signature; valid TwiML for missing, empty or garbage input."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.twilio_helpers import SignedClient, spoken, twiml, verbs

WEBHOOKS = [
    "/voice/incoming", "/voice/language", "/voice/interpreter", "/voice/location", "/voice/need",
    "/voice/hold", "/voice/queue-result", "/voice/transfer-result", "/voice/status",
    "/agent/incoming", "/agent/connect", "/agent/after-call", "/agent/status", "/survey/start",
]

GARBAGE = {
    "CallSid": "'; DROP TABLE call_records; --", "From": "not-a-number", "Digits": "\u0000\ufffd99",
    "SpeechResult": "ÿ" * 600, "QueueTime": "NaN", "QueuePosition": "-4", "QueueResult": "explode",
    "CallStatus": "completed", "CallDuration": "1e309", "DequeingCallSid": "x" * 300,
    "DialCallStatus": "???", "Confidence": "lots",
}


@pytest.mark.parametrize("path", WEBHOOKS)
def test_missing_signature_is_refused(twilio: SignedClient, path: str) -> None:
    resp = twilio.post(path, signature="", CallSid="CA1")
    assert resp.status_code == 403


@pytest.mark.parametrize("path", WEBHOOKS)
def test_wrong_signature_is_refused(twilio: SignedClient, path: str) -> None:
    resp = twilio.post(path, signature="bm90IGEgc2lnbmF0dXJl", CallSid="CA1")
    assert resp.status_code == 403


def test_signature_covers_the_query_string(twilio: SignedClient) -> None:
    good = twilio.validator.compute_signature(twilio.base + "/voice/need?attempt=1", {})
    assert twilio.post("/voice/need?attempt=2", signature=good).status_code == 403
    assert twilio.post("/voice/need?attempt=1", signature=good).status_code == 200


def test_signature_is_checked_against_the_public_url(app: Flask) -> None:
    behind_proxy = SignedClient(app.test_client(), "http://localhost", "test-auth-token")
    assert behind_proxy.post("/voice/incoming", CallSid="CA1").status_code == 403


@pytest.mark.parametrize("path", WEBHOOKS)
def test_empty_request_answers_twiml(twilio: SignedClient, path: str) -> None:
    twiml(twilio.post(path))


@pytest.mark.parametrize("path", WEBHOOKS)
def test_garbage_answers_twiml(twilio: SignedClient, path: str) -> None:
    twiml(twilio.post(path + "?attempt=zz", **GARBAGE))


@pytest.mark.parametrize("attempt", ["-1", "99999999999999999999", "1.5", ""])
def test_odd_attempt_numbers_are_tolerated(twilio: SignedClient, attempt: str) -> None:
    root = twiml(twilio.post(f"/voice/need?attempt={attempt}", CallSid="CAx", Digits="9"))
    assert verbs(root)  # re-asked or defaulted, never empty


def test_lost_session_still_reaches_a_queue(twilio: SignedClient) -> None:
    root = twiml(twilio.post("/voice/need", CallSid="CAnever-seen", Digits="1"))
    assert "Enqueue" in verbs(root)


def test_unknown_specialist_phone_is_turned_away(twilio: SignedClient) -> None:
    root = twiml(twilio.post("/agent/incoming", CallSid="CAagent", From="+14165559999"))
    assert verbs(root)[-1] == "Hangup" and "not registered" in spoken(root)


def test_database_failure_routes_to_a_person(twilio: SignedClient, app: Flask,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_a: object, **_k: object) -> None:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr("ivr.records._upsert", down)
    twiml(twilio.post("/voice/incoming", CallSid="CAdb", From="+18075550123"))
    twiml(twilio.post("/voice/language", CallSid="CAdb", Digits="1"))
    root = twiml(twilio.post("/voice/need", CallSid="CAdb", Digits="1"))
    assert verbs(root) == ["Say", "Enqueue"] and "something went wrong" in spoken(root)


def test_every_gather_has_a_way_forward(twilio: SignedClient) -> None:
    """After each <Gather> comes a <Redirect> back to the same handler (the no-input path)."""
    twilio.post("/voice/incoming", CallSid="CAg", From="+17055550123")
    for path in ["/voice/incoming", "/voice/language", "/voice/location", "/voice/need"]:
        root = twiml(twilio.post(path, CallSid="CAg"))
        tags = verbs(root)
        if "Gather" in tags:
            gather = root.find("Gather")
            redirect = root.find("Redirect")
            assert gather is not None and redirect is not None
            assert tags.index("Redirect") > tags.index("Gather")
            assert redirect.text == gather.get("action")


def test_metrics_count_webhooks_and_refusals(twilio: SignedClient, client) -> None:  # type: ignore[no-untyped-def]
    twilio.post("/voice/incoming", CallSid="CAm", From="+14165550123")
    twilio.post("/voice/incoming", signature="bad", CallSid="CAm")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'helpline_webhook_seconds_count{endpoint="voice.incoming"}' in body
    assert "helpline_rejected_signatures_total" in body


def test_a_signed_request_to_an_unknown_path_still_reaches_a_person(twilio: SignedClient) -> None:
    root = twiml(twilio.post("/voice/no-such-step", CallSid="CA1"))
    assert verbs(root)[-1] == "Enqueue"


def test_a_number_set_to_get_still_reaches_a_person(twilio: SignedClient) -> None:
    """A Twilio number configured for GET: signed over the URL and its query, no body."""
    url = "/voice/incoming?CallSid=CA1&From=%2B14165550123"
    signature = twilio.validator.compute_signature(twilio.base + url, {})
    root = twiml(twilio.client.get(url, headers={"X-Twilio-Signature": signature}))
    assert verbs(root)[-1] == "Enqueue"


def test_unsigned_requests_to_unknown_paths_get_the_plain_error(twilio: SignedClient) -> None:
    assert twilio.client.post("/voice/no-such-step").status_code == 404
    assert twilio.client.get("/voice/incoming").status_code == 405


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/directory/no-such-thing", 404), ("DELETE", "/api/directory/search", 405),
    ("PATCH", "/api/reports/summary", 405)])
def test_api_errors_are_json(twilio: SignedClient, method: str, path: str, status: int) -> None:
    resp = twilio.client.open(path, method=method)
    assert resp.status_code == status and resp.is_json
    assert resp.get_json()["error"]
