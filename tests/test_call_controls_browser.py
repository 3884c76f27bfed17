"""The lookup page's call controls in a real browser (#12): for the call on the line, add an
interpreter, hold and resume, warm and cold transfers (a service's phone, another provider),
the crisis line; each click posts the contract's JSON with the CSRF header and shows the
API's answer, and control events from the screen pop update the panel."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from config.shared_store import SharedStore
from ivr import screen_pop
from ivr.calls import save_call
from ivr.conference_state import LiveCall, LiveCalls
from ivr.models import Specialist
from ivr.session import CallSession
from tests.browser_helpers import ARGS, CHROMIUM, open_signed_in
from tests.directory_helpers import PASSWORD, add_user, small_directory
from tests.twilio_helpers import SignedClient

pytestmark = pytest.mark.browser


def posts(page: Any, button: str, action: str) -> Any:
    """Click `button`; the JSON it posted to the call's `action` endpoint."""
    with page.expect_request(f"**/api/calls/CAcaller/{action}") as sent:
        page.click(button)
    assert sent.value.method == "POST" and sent.value.headers["x-csrftoken"]
    return sent.value.post_data_json


def test_call_controls_post_the_contract_and_show_the_answers(
        app: Flask, db: Session, store: SharedStore, server: str, twilio: SignedClient) -> None:
    from playwright.sync_api import expect, sync_playwright

    db.add(Specialist(name="Sam", phone="+14165550199", provider="central", languages="en"))
    db.commit()
    add_user(db, "sam@example.org", "specialist", specialist_id=1)
    small_directory(app)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{server}/directory/lookup", "sam@example.org", PASSWORD)
        expect(page.locator("#controls")).to_be_hidden()
        with app.app_context():
            save_call(CallSession(call_sid="CAcaller", language="pa", interpreter="pa",
                                  region="east", need="food", provider="central"))
        twilio.post("/agent/incoming", From="+14165550199", CallSid="CAagent")
        twilio.post("/agent/connect", CallSid="CAcaller", DequeingCallSid="CAagent",
                    QueueTime="30")
        expect(page.locator("#controls")).to_be_visible(timeout=3000)
        # The call in its conference, as the bridge keeps it (the controls act on it).
        LiveCalls(store).save(LiveCall("CAcaller", "CAagent", 1, "central", claimed_at=1.0,
                                       joined_queue_at=0.0, conference_sid="CFcaller"))
        # ...and in Twilio's stand-in, so the REST requests the controls owe are carried out.
        app.extensions["twilio_client_factory"]().conferences.known["CFcaller"] = {
            "CAcaller", "CAagent"}
        expect(page.locator("#ctl-language")).to_have_value("pa")  # the caller's language
        languages = page.locator("#ctl-language option").evaluate_all("os => os.map(o => o.value)")
        assert "en" not in languages and "fr" not in languages and len(languages) > 5
        status = page.locator("#ctl-status")

        assert posts(page, "#ctl-interpreter", "interpreter") == {"language": "pa"}
        expect(status).to_have_text("Interpreter (Punjabi): requested.")
        assert posts(page, "#ctl-hold", "hold") == {"on": True}
        expect(status).to_have_text("Hold: requested.")
        expect(page.locator("#ctl-hold")).to_have_text("Resume")
        # Twilio has not said the caller is held yet: the API's reason, shown as an error
        assert posts(page, "#ctl-hold", "hold") == {"on": False}
        expect(status).to_have_text("Resume refused: the caller is not on hold")
        expect(status).to_have_class("error")

        page.fill("#q", "fod pantry")  # a service's phone as the warm transfer's target
        expect(page.locator("#results li").first).to_contain_text("Eastside Food Pantry")
        page.locator("#results li").first.click()
        button = page.locator("#detail button.transfer-phone").first
        expect(button).to_have_text(re.compile(r"Transfer to 416-555-0\d{3}"))
        digits = button.inner_text().removeprefix("Transfer to ").replace("-", "")
        button.click()
        expect(page.locator("#ctl-number")).to_have_value(f"+1{digits}")  # E.164
        assert posts(page, "#ctl-warm", "transfer") == {"kind": "warm", "target_kind": "number",
                                                         "target": f"+1{digits}"}
        expect(status).to_have_text("Warm transfer: requested.")
        page.select_option("#ctl-target", "provider:north")
        assert posts(page, "#ctl-cold", "transfer") == {"kind": "cold", "target_kind": "provider",
                                                         "target": "north"}
        expect(status).to_have_text("Cold transfer refused: a transfer is already in progress")
        assert posts(page, "#ctl-complete", "transfer/complete") == {}
        expect(status).to_have_text("Complete transfer refused: no answered transfer to hand over")
        assert posts(page, "#ctl-cancel", "transfer/cancel") == {}
        expect(status).to_have_text("Cancel transfer: requested.")
        page.select_option("#ctl-target", "line:health811")
        assert posts(page, "#ctl-warm", "transfer") == {"kind": "warm", "target_kind": "line",
                                                         "target": "health811"}
        expect(status).to_have_text("Warm transfer: requested.")
        assert posts(page, "#ctl-cancel", "transfer/cancel") == {}
        expect(status).to_have_text("Cancel transfer: requested.")
        assert posts(page, "#ctl-crisis", "transfer") == {"kind": "warm", "target_kind": "crisis",
                                                           "target": ""}
        expect(status).to_have_text("Crisis line (warm transfer): requested.")

        screen_pop.publish(store, 1, {"type": "control", "call_sid": "CAother", "action": "hold",
                                      "result": "done", "message": "Not this call"})
        screen_pop.publish(store, 1, {"type": "control", "call_sid": "CAcaller",
                                      "action": "transfer", "result": "failed",
                                      "message": "Transfer not answered: back with the caller"})
        expect(status).to_have_text("Transfer not answered: back with the caller", timeout=3000)
        expect(status).to_have_class("error")
        expect(page.locator("#ctl-events li")).to_have_count(1)
        # The hold asked for at first, refused by Twilio after its 202: the button goes back.
        expect(page.locator("#ctl-hold")).to_have_text("Resume")
        screen_pop.publish(store, 1, {"type": "control", "call_sid": "CAcaller", "action": "hold",
                                      "result": "failed", "message": "Twilio refused: no such call"})
        expect(page.locator("#ctl-hold")).to_have_text("Hold", timeout=3000)
        expect(page.locator("#ctl-hold")).to_have_attribute("aria-pressed", "false")
        expect(page.locator("#ctl-events li")).to_have_count(2)
        browser.close()
