"""The follow-up and incomplete-record pages, and the lookup page's contact-record panel."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import TORONTO
from tests.contact_helpers import answered_call, body, specialists, token_for
from tests.directory_helpers import PASSWORD, add_user, small_directory


def sign_in(client: FlaskClient, email: str) -> None:
    resp = client.post("/login", data={"email": email, "password": PASSWORD})
    assert resp.status_code == 302


def test_pages_list_follow_ups_and_calls_without_a_record(app: Flask, client: FlaskClient,
                                                          db: Session) -> None:
    small_directory(app)
    specialists(db)
    at = datetime(2026, 11, 23, 9, 0, tzinfo=TORONTO)
    answered_call(db, "CAdone", at)
    answered_call(db, "CAopen", at)
    client.put("/api/contacts/records/CAdone", json=body(follow_up_due="2026-11-20"),
               headers=token_for(app, "sam@example.org", "specialist", 1))
    add_user(db, "sup@example.org", "supervisor")
    sign_in(client, "sup@example.org")
    page = client.get("/contacts/incomplete").get_data(as_text=True)
    assert "CAopen" in page and "CAdone" not in page
    page = client.get("/contacts/follow-ups").get_data(as_text=True)
    assert "CAdone" in page and "overdue" in page
    lookup = client.get("/directory/lookup?call=CAopen").get_data(as_text=True)
    assert '"open_call": "CAopen"' in lookup and "contact_record.js" in lookup


def test_a_specialist_may_not_see_the_incomplete_list(app: Flask, client: FlaskClient,
                                                      db: Session) -> None:
    add_user(db, "sam@example.org", "specialist", specialist_id=1)
    sign_in(client, "sam@example.org")
    assert client.get("/contacts/incomplete").status_code == 403
    assert client.get("/contacts/follow-ups").status_code == 200
