"""Every webhook: 403 without a valid signature; for missing, empty or garbage input, the
TwiML that step should give (the menu it asks, the queue it joins, in the right voice), with
no fallback fired.

Every webhook answers valid TwiML whatever happens (a handler that raises answers its
fallback), so "200 and TwiML" proves nothing: each case names what the caller must hear
and checks, through `Fallbacks`, that the handler itself produced it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.models import CallRecord
from tests.twilio_helpers import Fallbacks, SignedClient, spoken, twiml, verbs

WEBHOOKS = [
    "/voice/incoming", "/voice/language", "/voice/interpreter", "/voice/location", "/voice/need",
    "/voice/hold", "/voice/queue-result", "/voice/transfer-result", "/voice/crisis-result",
    "/voice/status", "/agent/incoming", "/agent/connect", "/agent/after-call", "/agent/status",
    "/survey/start", "/voice/join", "/voice/conference-done", "/voice/requeue", "/agent/idle",
    "/agent/conference-events", "/agent/participant-status", "/agent/consult",
    "/agent/consult-done",
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


@dataclass(frozen=True)
class Expect:
    """What one webhook must answer: its verbs in order, what is said, the menu, the queue."""

    verbs: tuple[str, ...]
    said: tuple[str, ...] = ()
    asks: str | None = None  # the path the <Gather> posts to (and the <Redirect> repeats)
    queue: str | None = None  # the queue <Enqueue> joins
    languages: frozenset[str] = frozenset({"en-US"})  # the <Say> languages, each in its voice


MENU = ("Gather", "Redirect")
BOTH = frozenset({"en-US", "fr-CA"})
VOICES = {"en-US": "Polly.Joanna", "fr-CA": "Google.fr-CA-Standard-A"}  # the default pair

# A request with nothing usable in it, or garbage: what each step says then.
NO_INPUT = {
    "/voice/incoming": Expect(MENU, ("Welcome to 2-1-1 Ontario", "Bienvenue au 2-1-1",
                                     "For English, press 1", "Pour le français, appuyez sur le 2"),
                              asks="/voice/language", languages=BOTH),
    "/voice/language": Expect(MENU, ("Sorry, I didn't get that.", "For English, press 1"),
                              asks="/voice/language", languages=BOTH),
    "/voice/interpreter": Expect(MENU, ("say the name of your language",),
                                 asks="/voice/interpreter"),
    "/voice/location": Expect(MENU, ("Sorry, I didn't catch where you are calling from",
                                     "name of your city or town"), asks="/voice/location"),
    "/voice/need": Expect(MENU, ("Sorry, I didn't get that.", "What do you need help with?"),
                          asks="/voice/need"),
    # Nobody signed in, nothing answered yet: no estimate, only the truth.
    "/voice/hold": Expect(("Say", "Play"), ("Thank you for waiting",)),
    # No QueueResult is Twilio's "error": the caller goes to the safe-route queue.
    "/voice/queue-result": Expect(("Say", "Enqueue"), ("something went wrong",),
                                  queue="211-central"),
    "/voice/transfer-result": Expect(("Hangup",)),
    # No DialCallStatus is not an answer: a caller in crisis is put through to a specialist.
    "/voice/crisis-result": Expect(("Say", "Say", "Enqueue"),
                                   ("could not reach the crisis line", "Please hold")),
    "/voice/status": Expect(()),
    "/agent/incoming": Expect(("Say", "Hangup"), ("not registered as a 2-1-1 specialist line",)),
    "/agent/connect": Expect(("Say",), ("Connecting you with a specialist now.",)),
    "/agent/after-call": Expect(("Gather", "Say", "Hangup"),
                                ("Press 1 to take the next caller", "Goodbye"),
                                asks="/agent/incoming"),
    "/agent/status": Expect(()),
    # No live call and no specialist named: nobody waits in a conference, so back in line.
    "/voice/join": Expect(("Enqueue",), queue="211-central"),
    # The conference ended (no status is not a failure): on to the survey.
    "/voice/conference-done": Expect(("Redirect",)),
    # No provider named: the safe-route provider's queue, said so.
    "/voice/requeue": Expect(("Say", "Enqueue"), ("Please hold for the next available",),
                             queue="211-central"),
    # Nobody known on the line: the specialist is not handed callers, nor told "not registered".
    "/agent/idle": Expect(("Say", "Hangup"), ("We cannot check this specialist line",)),
    "/agent/conference-events": Expect(()),
    "/agent/participant-status": Expect(()),
    # A consult's redirect naming nobody: not handed anything, nor told "not registered".
    "/agent/consult": Expect(("Say", "Hangup"), ("We cannot check this specialist line",)),
    # A consult's conference over, with no live call: on to the next caller.
    "/agent/consult-done": Expect(("Gather", "Say", "Hangup"),
                                  ("Press 1 to take the next caller", "Goodbye"),
                                  asks="/agent/incoming"),
    "/survey/start": Expect(("Say", "Gather", "Redirect"),
                            ("answer four short questions", "How satisfied are you"),
                            asks="/survey/answer"),
}


def check(root: ET.Element, expect: Expect) -> None:
    """The TwiML is what `expect` says: verbs, words, menu, queue, and each voice."""
    assert tuple(verbs(root)) == expect.verbs, ET.tostring(root)
    text = spoken(root)
    for words in expect.said:
        assert words in text
    if expect.asks is not None:
        gather, redirect = root.find("Gather"), root.find("Redirect")
        assert gather is not None
        assert (gather.get("action") or "").split("?")[0] == expect.asks
        assert redirect is None or redirect.text == gather.get("action")
    if expect.queue is not None:
        enqueue = root.find("Enqueue")
        assert enqueue is not None and enqueue.text == expect.queue
    says = list(root.iter("Say"))
    assert {say.get("language") for say in says} == (expect.languages if says else set())
    for say in says:
        assert say.get("voice") == VOICES[say.get("language") or ""]


def answer(twilio: SignedClient, path: str, **params: str) -> ET.Element:
    """Post a webhook; its TwiML, failing the test if the answer came from its fallback."""
    watch = Fallbacks()
    root = twiml(twilio.post(path, **params))
    assert watch.fired() == 0, f"{path} answered its fallback TwiML: its handler failed"
    return root


def test_every_webhook_has_its_expectation() -> None:
    assert set(NO_INPUT) == set(WEBHOOKS)


@pytest.mark.parametrize("path", WEBHOOKS)
def test_empty_request_answers_that_steps_twiml(twilio: SignedClient, path: str) -> None:
    check(answer(twilio, path), NO_INPUT[path])


@pytest.mark.parametrize("path", WEBHOOKS)
def test_garbage_answers_that_steps_twiml(twilio: SignedClient, path: str) -> None:
    check(answer(twilio, path + "?attempt=zz", **GARBAGE), NO_INPUT[path])


@pytest.mark.parametrize("attempt", ["-1", "1.5", ""])
def test_odd_attempt_numbers_count_as_the_first(twilio: SignedClient, attempt: str) -> None:
    """Garbage counts as the first try: the need menu asks again (9 is no choice)."""
    root = answer(twilio, f"/voice/need?attempt={attempt}", CallSid="CAx", Digits="9")
    check(root, Expect(MENU, ("Sorry, I didn't get that.", "What do you need help with?"),
                       asks="/voice/need"))
    assert "attempt=1&" in (root.find("Gather").get("action") or "")  # type: ignore[union-attr]


def test_a_huge_attempt_number_is_the_last(twilio: SignedClient) -> None:
    """Past the retries the need defaults to "other" and the caller is queued, not re-asked."""
    root = answer(twilio, "/voice/need?attempt=99999999999999999999", CallSid="CAx", Digits="9")
    check(root, Expect(("Say", "Enqueue"), ("Please hold for the next available specialist",),
                       queue="211-after-hours"))


def test_lost_session_still_reaches_a_queue(twilio: SignedClient) -> None:
    """No session, so no region: the rules' last, province-wide rule takes the caller."""
    root = answer(twilio, "/voice/need", CallSid="CAnever-seen", Digits="1")
    check(root, Expect(("Say", "Enqueue"), ("Please hold for the next available specialist",),
                       queue="211-after-hours"))


def test_a_call_through_every_step(twilio: SignedClient) -> None:
    """A caller from 807 (north) in French, for food: each step's own answer, in French."""
    sid, fr = "CAwalk", frozenset({"fr-CA"})
    check(answer(twilio, "/voice/incoming", CallSid=sid, From="+18075550123"),
          NO_INPUT["/voice/incoming"])
    check(answer(twilio, "/voice/language", CallSid=sid, Digits="2"),
          Expect(MENU, ("Pour quel besoin appelez-vous?",), asks="/voice/need", languages=fr))
    root = answer(twilio, "/voice/need", CallSid=sid, Digits="1")
    check(root, Expect(("Say", "Enqueue"), (), queue="211-north", languages=fr))
    enqueue = root.find("Enqueue")
    assert enqueue is not None and (enqueue.get("waitUrl") or "").startswith("/voice/hold?")
    check(answer(twilio, "/voice/hold", CallSid=sid, QueuePosition="3", QueueTime="20"),
          Expect(("Say", "Say", "Play"), ("numéro 3",), languages=fr))
    root = answer(twilio, "/voice/queue-result?l=fr&r=north", CallSid=sid, QueueResult="bridged")
    assert verbs(root) == ["Redirect"] and (root.findtext("Redirect") or "").startswith(
        "/survey/start?")
    check(answer(twilio, "/survey/start?l=fr&r=north", CallSid=sid),
          Expect(("Say", "Gather", "Redirect"), ("quatre courtes questions",),
                 asks="/survey/answer", languages=fr))


def test_unknown_specialist_phone_is_turned_away(twilio: SignedClient) -> None:
    root = answer(twilio, "/agent/incoming", CallSid="CAagent", From="+14165559999")
    check(root, NO_INPUT["/agent/incoming"])


def test_database_failure_routes_to_a_person(twilio: SignedClient, app: Flask,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_a: object, **_k: object) -> None:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr("ivr.records._upsert", down)
    answer(twilio, "/voice/incoming", CallSid="CAdb", From="+18075550123")
    answer(twilio, "/voice/language", CallSid="CAdb", Digits="1")
    watch = Fallbacks()
    root = twiml(twilio.post("/voice/need", CallSid="CAdb", Digits="1"))
    check(root, Expect(("Say", "Enqueue"), ("something went wrong",), queue="211-central"))
    assert watch.fired() == 1  # the handler failed writing the record: its fallback answered


def test_every_gather_has_a_way_forward(twilio: SignedClient) -> None:
    """After each <Gather> comes a <Redirect> back to the same handler (the no-input path)."""
    answer(twilio, "/voice/incoming", CallSid="CAg", From="+17055550123")
    for path in ["/voice/incoming", "/voice/language", "/voice/location", "/voice/need"]:
        root = answer(twilio, path, CallSid="CAg")
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
    watch = Fallbacks()
    root = twiml(twilio.post("/voice/no-such-step", CallSid="CA1"))
    check(root, Expect(("Say", "Enqueue"), ("something went wrong",), queue="211-central"))
    assert watch.fired() == 1  # counted as a fallback: someone should fix the console


def test_a_number_set_to_get_still_reaches_a_person(twilio: SignedClient) -> None:
    """A Twilio number configured for GET: signed over the URL and its query, no body."""
    url = "/voice/incoming?CallSid=CA1&From=%2B14165550123"
    signature = twilio.validator.compute_signature(twilio.base + url, {})
    root = twiml(twilio.client.get(url, headers={"X-Twilio-Signature": signature}))
    check(root, Expect(("Say", "Enqueue"), ("something went wrong",), queue="211-central"))


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


def test_a_failed_language_step_takes_the_safe_route_in_the_language_chosen(
        twilio: SignedClient, app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller has pressed 2 (French) when the step fails (or is shed): the safe route
    apologises in French, and the call is filed as French, from the request alone."""
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("the language step broke")

    answer(twilio, "/voice/incoming", CallSid="CAfr", From="+16135550123")
    monkeypatch.setattr("ivr.voice.after_language", broken)
    watch = Fallbacks()
    root = twiml(twilio.post("/voice/language?r=east", CallSid="CAfr", From="+16135550123",
                             Digits="2"))
    assert watch.fired() == 1
    check(root, Expect(("Say", "Enqueue"), ("un problème est survenu",), queue="211-central",
                       languages=frozenset({"fr-CA"})))
    app.extensions["durable"].wait_drained(timeout=10)
    db.expire_all()
    record = db.scalars(select(CallRecord).where(CallRecord.call_sid == "CAfr")).one()
    assert (record.language, record.region) == ("fr", "east")


def test_a_failed_location_step_files_the_call_under_the_place_said(
        twilio: SignedClient, app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 705 caller (the area code spans regions) says "Sudbury" when the step fails (or is
    shed): the safe route, and the call filed under North, from the request alone."""
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("the location step broke")

    monkeypatch.setattr("ivr.voice.need_menu", broken)
    watch = Fallbacks()
    root = twiml(twilio.post("/voice/location?l=en", CallSid="CAsud", From="+17055550123",
                             SpeechResult="Sudbury"))
    assert watch.fired() == 1
    check(root, Expect(("Say", "Enqueue"), ("something went wrong",), queue="211-central"))
    app.extensions["durable"].wait_drained(timeout=10)
    db.expire_all()
    record = db.scalars(select(CallRecord).where(CallRecord.call_sid == "CAsud")).one()
    assert (record.language, record.region) == ("en", "north")
