"""A contact record filled in a real browser from a screen pop, then counted by the planner report."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Referral
from ivr.calls import save_call
from ivr.models import Specialist
from ivr.session import CallSession
from needs.models import ContactRecord
from tests.browser_helpers import ARGS, CHROMIUM, open_signed_in
from tests.contact_helpers import token_for
from tests.directory_helpers import PASSWORD, add_user, small_directory
from tests.twilio_helpers import SignedClient

pytestmark = pytest.mark.browser


def test_specialist_fills_a_contact_record_and_the_report_counts_it(
        app: Flask, client: FlaskClient, db: Session, server: str, twilio: SignedClient) -> None:
    from playwright.sync_api import expect, sync_playwright

    db.add(Specialist(name="Sam", phone="+14165550199", provider="east", languages="en,fr"))
    db.commit()
    add_user(db, "sam@example.org", "specialist", specialist_id=1)
    small_directory(app)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{server}/directory/lookup", "sam@example.org", PASSWORD)
        with app.app_context():
            save_call(CallSession(call_sid="CAcaller", language="fr", region="east", need="food",
                                  provider="east"))
        twilio.post("/agent/incoming", From="+14165550199", CallSid="CAagent")
        twilio.post("/agent/connect", CallSid="CAcaller", DequeingCallSid="CAagent", QueueTime="20")
        contact = page.locator("#contact")
        expect(contact).to_be_visible(timeout=3000)
        need1 = contact.locator(".need").nth(0)
        expect(need1.locator(".need-search")).to_have_value("BD Food")  # the menu's need, prefilled

        page.fill("#q", "fod pantry")
        expect(page.locator("#results li").first).to_contain_text("Eastside Food Pantry")
        page.locator("#results li").first.click()
        page.click("#refer")
        expect(page.locator("#referrals")).to_have_text("Eastside Food Pantry")

        need1.locator(".need-search").fill("food pant")
        need1.locator('.need-options li[data-code="BD-1800.2000"]').click()
        need1 = contact.locator(".need").nth(0)
        need1.locator('input[value="met"]').check()
        contact.locator(".need").nth(0).locator(".need-referral").check()

        page.click("#need-add")
        need2 = contact.locator(".need").nth(1)
        need2.locator(".need-search").fill("aide au loyer")  # French, through the directory's phrases
        need2.locator('.need-options li[data-code="BH-3800.7000"]').click()
        contact.locator(".need").nth(1).locator('input[value="unmet"]').check()
        contact.locator(".need").nth(1).locator(".need-reason").select_option("waiting_list")

        page.fill("#fsa", "K1A 0B1")  # a full postal code: refused by the field
        page.select_option("#call_type", "referral")
        page.check("#follow_up")
        page.fill("#follow_up_due", "2026-11-30")
        page.click("#contact-complete")
        expect(contact.locator('.field-error[data-for="fsa"]')).to_contain_text("never the full postal code")
        expect(page.locator("#call_type")).to_have_value("referral")  # nothing typed is lost
        expect(contact.locator(".need").nth(1).locator(".need-reason")).to_have_value("waiting_list")
        assert db.scalars(select(ContactRecord)).all() == []

        page.fill("#fsa", "K1A")
        page.click("#contact-complete")
        expect(page.locator("#contact-status")).to_contain_text("complete")
        expect(contact.locator('.field-error[data-for="fsa"]')).to_have_text("")

        page.goto(f"{server}/contacts/follow-ups")
        expect(page.locator("#follow-ups")).to_contain_text("CAcaller")
        browser.close()

    db.expire_all()
    record = db.scalars(select(ContactRecord)).one()
    referral = db.scalars(select(Referral)).one()
    assert [(n.taxonomy_code, n.met, n.referral_ids, n.unmet_reason) for n in record.needs] == [
        ("BD-1800.2000", True, [referral.id], None), ("BH-3800.7000", False, [], "waiting_list")]
    assert (record.fsa, record.follow_up, str(record.follow_up_due), record.wrap_up_seconds) == (
        "K1A", True, "2026-11-30", 0)  # completed with the caller still on the line
    resp = client.get("/api/reports/needs?from=2026-11-01&to=2026-11-30",
                      headers=token_for(app, "pat@example.org", "planner"))
    nodes = {n["code"]: n for n in resp.get_json()["needs_by_taxonomy"]}
    assert (nodes["BD-1800.2000"]["met"], nodes["BD-1800.2000"]["unmet"]) == (1, 0)
    assert nodes["BH-3800.7000"]["reasons"]["waiting_list"] == 1
    assert (nodes["B"]["needs"], resp.get_json()["totals"]["records"]) == (2, 1)
    assert [f["fsa"] for f in resp.get_json()["by_fsa"]] == ["K1A"]
