"""The supervisor board in a real browser (#12): live calls with the crisis call first and
marked, the waiting callers, and Listen / Whisper / Barge posting to the call controls' API
and showing its answer."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.board_helpers import PASSWORD
from tests.browser_helpers import ARGS, CHROMIUM, open_signed_in

pytestmark = pytest.mark.browser


def test_board_shows_the_crisis_call_first_and_supervises(server: str,
                                                          board_calls: datetime) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{server}/supervisor/board", "supervisor@example.org",
                              PASSWORD)
        rows = page.locator("#live tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_have_attribute("data-call", "CAcrisis")
        expect(rows.nth(0)).to_have_class("crisis")
        expect(rows.nth(0)).to_contain_text("CRISIS")
        expect(rows.nth(0)).to_contain_text("Ana")
        expect(rows.nth(1)).to_contain_text("Sam")
        expect(rows.nth(1)).to_contain_text("9 min 0 s")
        expect(rows.nth(1)).to_contain_text("on hold")
        expect(rows.nth(1)).to_contain_text("interpreter pa")
        expect(page.locator("#waiting tr")).to_have_count(2)
        expect(page.locator("#waiting tr").nth(1)).to_contain_text("housing")

        status = page.locator("#supervise-status")
        page.fill("#phone", "555")  # the API's reason shown
        rows.nth(1).locator("button[data-mode=barge]").click()
        expect(status).to_have_text("Barge on CAold refused: '555' is not a phone number")
        expect(status).to_have_class("error")
        page.fill("#phone", "+14165550100")
        with page.expect_request("**/api/calls/CAold/supervise") as sent:
            rows.nth(1).locator("button[data-mode=whisper]").click()
        assert sent.value.post_data_json == {"mode": "whisper", "phone": "+14165550100"}
        assert sent.value.headers["x-csrftoken"]
        expect(status).to_have_text("Whisper on CAold: requested, ringing +14165550100.")
        expect(status).to_have_class("ok")
        browser.close()
