"""The rule editor in a real browser: only the chosen action's fields show, and a save lands."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from routing.store.versions import draft_document
from tests.browser_helpers import ARGS, CHROMIUM, open_signed_in
from tests.directory_helpers import PASSWORD, add_user

pytestmark = pytest.mark.browser


def test_rule_form_shows_the_chosen_actions_fields_and_saves(app: Flask, db: Session,
                                                             server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    add_user(db, "ada@example.org", "admin")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{server}/admin/routing/rules/new", "ada@example.org", PASSWORD)
        transfer = page.locator("fieldset[data-action=transfer]")
        enqueue = page.locator("fieldset[data-action=enqueue]")
        expect(enqueue).to_be_visible()
        expect(transfer).to_be_hidden()
        page.select_option("#action", "transfer")
        expect(transfer).to_be_visible()
        expect(enqueue).to_be_hidden()
        page.fill("#item_id", "crisis-line")
        page.check("input[name=needs][value=health]")
        page.fill("#number", "+1 416 555 0199")
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/routing/rules")
        expect(page.locator("body")).to_contain_text("crisis-line")
        browser.close()
    with app.extensions["db_sessionmaker"]() as fresh:
        doc, _base = draft_document(fresh)
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["crisis-line"]["then"] == {"type": "transfer", "number": "+14165550199"}
    assert rules["crisis-line"]["when"] == {"needs": ["health"]}

