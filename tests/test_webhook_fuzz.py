"""Property-based fuzzing of every Twilio webhook (hypothesis): arbitrary form fields, digits,
speech, unicode and sizes, signed or not. Whatever arrives, the answer is 200 with TwiML (a
voice webhook for a caller never a dead end) or 403 when unsigned; never a 500.

Example counts are bounded (`FUZZ_EXAMPLES`, default 40 per test) so the suite stays fast;
raise it locally for a longer hunt.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.twilio_helpers import SignedClient

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Caller-facing voice steps must always give the caller something (a way forward or goodbye);
# status callbacks (a call's, a conference's events, a participant's) and texts may answer
# an empty <Response/>: Twilio reads no TwiML from them.
MAY_BE_EMPTY = ("/status", "/call-status", "/sms", "/after-call", "/conference-events",
                "/participant-status")
FIELDS = ["CallSid", "From", "To", "Digits", "SpeechResult", "Confidence", "CallStatus",
          "CallDuration", "QueueResult", "QueueTime", "QueuePosition", "AvgQueueTime",
          "CurrentQueueSize", "DequeingCallSid", "DialCallStatus", "AnsweredBy", "Body",
          "Direction", "Caller", "FromCity", "FromState"]
QUERY_KEYS = ["l", "r", "p", "n", "q", "v", "attempt", "contact", "t0", "o", "queue", "a", "s"]

# Any text a form can carry (no lone surrogates: they are not UTF-8), short and long.
CHARS = st.characters(exclude_categories=["Cs"])
TEXT = st.one_of(
    st.text(CHARS, max_size=40),
    st.text(CHARS, min_size=500, max_size=6000),
    st.sampled_from(["", "0", "1", "9", "#", "*", "1#", "123456789", "-1", "1e309", "NaN",
                     "+14165550123", "+1705555012", "anonymous", "completed", "bridged",
                     "machine_start", "human", "fax", "hangup", "queue-full", "STOP",
                     "say:", "<Say>x</Say>", "'; DROP TABLE call_records; --", "\x00"]),
)


def webhook_paths(app: Flask) -> list[str]:
    """Every POST route Twilio is given (caller, specialist, survey and outcome webhooks)."""
    paths = {rule.rule for rule in app.url_map.iter_rules()
             if "POST" in (rule.methods or ()) and not rule.arguments
             and rule.rule.startswith(("/voice/", "/agent/", "/survey/"))
             and not rule.rule.startswith("/survey/reports")}
    assert len(paths) >= 18, paths
    return sorted(paths)


def check(resp: Any, path: str, signed: bool) -> None:
    assert resp.status_code != 500, (path, resp.get_data(as_text=True)[:300])
    if not signed:
        assert resp.status_code == 403, path
        return
    assert resp.status_code == 200, (path, resp.status_code)
    assert resp.mimetype in ("text/xml", "application/xml"), (path, resp.mimetype)
    root = ET.fromstring(resp.get_data(as_text=True))  # noqa: S314 - our own answer
    assert root.tag == "Response", path
    if path.startswith(("/voice/", "/agent/")) and not path.endswith(MAY_BE_EMPTY):
        assert len(root) > 0, (path, "a caller-facing step answered nothing")


@pytest.fixture
def signed(app: Flask) -> SignedClient:
    return SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)


@FUZZ
@given(data=st.data())
def test_every_webhook_answers_twiml_whatever_the_form(app: Flask, signed: SignedClient,
                                                       data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(webhook_paths(app)), label="path")
    form = data.draw(st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=8), label="form")
    extra = data.draw(st.dictionaries(st.text(min_size=1, max_size=12), TEXT, max_size=3),
                      label="extra fields")
    query = data.draw(st.dictionaries(st.sampled_from(QUERY_KEYS), TEXT, max_size=4), label="query")
    url = path + ("?" + urlencode(query) if query else "")
    check(signed.post(url, **{**extra, **form}), path, signed=True)


@FUZZ
@given(data=st.data())
def test_unsigned_or_forged_requests_are_refused(app: Flask, signed: SignedClient,
                                                 data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(webhook_paths(app)), label="path")
    form = data.draw(st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=5), label="form")
    signature = data.draw(st.one_of(st.just(""), st.text(max_size=40)), label="signature")
    check(signed.post(path, signature=signature or "x", **form), path, signed=False)


@FUZZ
@given(digits=TEXT, speech=TEXT, step=st.sampled_from(
    ["/voice/language", "/voice/location", "/voice/need", "/voice/interpreter", "/voice/information",
     "/survey/answer?q=consent&v=2026.1&attempt=0",
     "/survey/answer?q=satisfaction&v=2026.1&attempt=1"]))
def test_menus_take_any_digits_and_speech_inside_a_real_call(
        app: Flask, signed: SignedClient, digits: str, speech: str, step: str) -> None:
    signed.post("/voice/incoming", CallSid="CAfuzz", From="+17055550123")
    check(signed.post(step, CallSid="CAfuzz", From="+17055550123", Digits=digits,
                      SpeechResult=speech), step.split("?")[0], signed=True)
