"""The web side held against an attacker: headers, /metrics, request size, CSV formulas,
a staff page asked with a Twilio header, and SQLite's secure_delete."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from ivr.models import CallRecord
from tests.test_reports_api import token_for
from tests.twilio_helpers import SignedClient


def test_pages_carry_the_security_headers(client: FlaskClient) -> None:
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in resp.headers  # plain http: the proxy decides


def test_hsts_under_https(client: FlaskClient) -> None:
    direct = client.get("/login", base_url="https://helpline.example.org")
    assert "max-age=31536000" in direct.headers["Strict-Transport-Security"]
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in proxied.headers


def test_webhook_answers_carry_the_pages_headers_without_a_nonce(client: FlaskClient,
                                                                  twilio: SignedClient) -> None:
    """A webhook's TwiML gets the pages' security headers, worked out once (no nonce: its
    answer has no script); HSTS still follows each request's scheme."""
    page = client.get("/login")
    answers = [twilio.post("/voice/incoming", CallSid="CAhead1", From="+16135550123")
               for _ in range(2)]
    for resp in answers:
        assert resp.status_code == 200 and resp.mimetype == "text/xml"
        for name in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                     "Permissions-Policy"):
            assert resp.headers[name] == page.headers[name]
        assert resp.headers["Content-Security-Policy"] == re.sub(
            r" 'nonce-[^']+'", "", page.headers["Content-Security-Policy"])
        assert "Strict-Transport-Security" not in resp.headers
    proxied = twilio.post_with({"X-Forwarded-Proto": "https"}, "/voice/incoming",
                               CallSid="CAhead2", From="+16135550123")
    direct = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["Strict-Transport-Security"] == direct.headers["Strict-Transport-Security"]


def test_inline_scripts_carry_the_nonce_of_the_policy(client: FlaskClient, db: Session) -> None:
    """Every inline script in a page must carry this response's nonce, or the browser refuses
    it (the browser tests run the pages under the policy too)."""
    import re

    from tests.directory_helpers import PASSWORD, add_user

    add_user(db, "sam@example.org", "specialist")
    client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    resp = client.get("/directory/lookup")
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"])
    assert nonce
    page = resp.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce.group(1)}"' in attrs for attrs in inline)


def test_metrics_only_with_the_token_or_from_this_host(app: Flask, settings: Any, store: Any,
                                                       clock: Any) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # a local scraper
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 404
    from tests.conftest import _app_for

    for tokened in _app_for(replace(settings, metrics_token="scrape-me-0123456789"), store, clock):
        other = tokened.test_client()
        assert other.get("/metrics").status_code == 404
        assert other.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        good = other.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"},
                         environ_base={"REMOTE_ADDR": "203.0.113.5"})
        assert good.status_code == 200 and b"helpline_" in good.data


def test_a_staff_page_asked_with_a_twilio_header_is_not_an_error(client: FlaskClient) -> None:
    resp = client.get("/login", headers={"X-Twilio-Signature": "abc"})
    assert resp.status_code == 200 and b"Sign in" in resp.data
    assert "Set-Cookie" not in resp.headers


def test_request_bodies_are_bounded(client: FlaskClient, twilio: SignedClient) -> None:
    big = "x" * (1024 * 1024 + 1)
    assert client.post("/login", data={"email": big, "password": "x"}).status_code == 413
    resp = twilio.post("/voice/incoming", CallSid="CAbig", From="+14165550123", Extra=big)
    assert resp.status_code == 403  # no Twilio request is that big: refused as unsigned


def test_csv_cells_that_would_be_formulas_stay_text(app: Flask, client: FlaskClient,
                                                    db: Session) -> None:
    db.add(CallRecord(call_sid="CAx", started_at=datetime(2026, 11, 10, 17, tzinfo=UTC),
                      region='=HYPERLINK("//e.example")', provider="-2+3",
                      need="@SUM(A1)", result="answered", queue_seconds=5, talk_seconds=9))
    db.commit()
    auth = {"Authorization": f"Bearer {token_for(app, 'planner')}"}
    body = client.get("/api/reports/summary.csv?from=2026-11-01&to=2026-11-30",
                      headers=auth).get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'=HYPERLINK(\"//e.example\")" in cells and "'-2+3" in cells
    assert not any(cell[:1] in "=+-@\t\r" for cell in cells if cell)


def test_safe_cell_leaves_numbers_and_plain_text() -> None:
    from config.spreadsheet import safe_cell

    assert [safe_cell(v) for v in (-3, 2.5, "north", "\tx", "\r=1", "+1")] == [
        -3, 2.5, "north", "'\tx", "'\r=1", "'+1"]


def test_sqlite_overwrites_deleted_content(app: Flask, db: Session) -> None:
    if not app.extensions["settings"].is_sqlite:
        return  # PostgreSQL: VACUUM and the server's storage handle this; nothing to set here
    assert db.execute(text("PRAGMA secure_delete")).scalar() == 1
