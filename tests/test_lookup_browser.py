"""The lookup page in a real browser: sign in, a call pops up, search, open, refer."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Referral
from ivr.calls import save_call
from ivr.models import Specialist
from ivr.session import CallSession
from tests.browser_helpers import ARGS, CHROMIUM, open_signed_in
from tests.directory_helpers import PASSWORD, add_user, small_directory
from tests.twilio_helpers import SignedClient

pytestmark = pytest.mark.browser


def test_specialist_gets_a_screen_pop_searches_and_refers(app: Flask, db: Session, server: str,
                                                          twilio: SignedClient) -> None:
    from playwright.sync_api import expect, sync_playwright

    db.add(Specialist(name="Sam", phone="+14165550199", provider="central", languages="en"))
    db.commit()
    add_user(db, "sam@example.org", "specialist", specialist_id=1)
    small_directory(app)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{server}/directory/lookup", "sam@example.org", PASSWORD)
        expect(page.locator("#results li").first).to_be_visible()

        with app.app_context():
            save_call(CallSession(call_sid="CAcaller", language="fr", region="east", need="food",
                                  provider="central", interpreter="ar"))
        twilio.post("/agent/incoming", From="+14165550199", CallSid="CAagent")
        twilio.post("/agent/connect", CallSid="CAcaller", DequeingCallSid="CAagent",
                    QueueTime="75")
        expect(page.locator("#call")).to_be_visible(timeout=3000)
        expect(page.locator("#call-region")).to_have_text("211 East")
        expect(page.locator("#call-need")).to_have_text("food")
        expect(page.locator("#call-waited")).to_have_text("1 min 15 s")
        expect(page.locator("#call-interpreter")).to_have_text("Arabic")  # its name, not "ar"
        expect(page.locator("#region")).to_have_value("east")
        expect(page.locator("#taxonomy")).to_have_value("BD")
        expect(page.locator("#results li")).to_have_count(2)  # east + food: pantry, soup line

        page.keyboard.press("Escape")
        page.keyboard.press("/")
        expect(page.locator("#q")).to_be_focused()
        page.keyboard.type("soup lnie")
        expect(page.locator("#results li").first).to_contain_text("Soup Line")
        page.fill("#q", "fod pantry")
        expect(page.locator("#results li").first).to_contain_text("Eastside Food Pantry")
        page.keyboard.press("Enter")
        expect(page.locator("#detail h2")).to_have_text("Eastside Food Pantry")
        expect(page.locator("#detail")).to_contain_text("Monday 09:00-17:00")
        page.click("#refer")
        expect(page.locator("#referrals")).to_have_text("Eastside Food Pantry")
        browser.close()
    db.expire_all()
    referral = db.scalars(select(Referral)).one()
    assert (referral.call_sid, referral.need, referral.specialist_id) == ("CAcaller", "food", 1)
