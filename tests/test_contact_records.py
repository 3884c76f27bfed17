"""The contact record of a call: prefilled from the call, checked by field, owned, locked, audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.simulator.cli import SimClock
from needs.models import ContactNeed, ContactRecord, ContactRecordAudit
from tests.conftest import TORONTO
from tests.contact_helpers import answered_call, body, refer, specialists, token_for
from tests.directory_helpers import small_directory

CALL_AT = datetime(2026, 11, 23, 9, 50, tzinfo=TORONTO)  # the clock fixture reads 10:00


@pytest.fixture
def call(app: Flask, db: Session) -> str:
    small_directory(app)
    specialists(db)
    answered_call(db, "CA1", CALL_AT, talk_seconds=240)  # ended 09:55
    return "CA1"


def test_a_new_record_is_prefilled_from_the_call(app: Flask, client: FlaskClient, db: Session,
                                                 call: str) -> None:
    referral = refer(db, call, "pantry", CALL_AT)
    sam = token_for(app, "sam@example.org", "specialist", 1)
    got = client.get(f"/api/contacts/records/{call}", headers=sam).get_json()
    assert (got["exists"], got["language"], got["region"], got["menu_need"]) == (False, "fr", "east", "food")
    assert got["needs"] == [{"code": "BD", "name": "Food", "outcome": "met",
                             "referral_ids": [referral], "reason": None, "note": None}]
    assert [r["service_name"] for r in got["referrals"]] == ["Eastside Food Pantry"]
    assert got["can_edit"] is True and got["locked"] is False


def test_complete_record_is_stored_with_wrap_up_time(app: Flask, client: FlaskClient, db: Session,
                                                     call: str) -> None:
    referral = refer(db, call, "pantry", CALL_AT)
    sam = token_for(app, "sam@example.org", "specialist", 1)
    sent = body(needs=[{"code": "bd-1800.2000", "outcome": "met", "referral_ids": [referral]},
                       {"code": "BH-3800.7000", "outcome": "unmet", "reason": "waiting_list"}])
    resp = client.put(f"/api/contacts/records/{call}", json=sent, headers=sam)
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["status"] == "complete" and got["wrap_up_seconds"] == 300  # 09:55 -> 10:00
    record = db.scalars(select(ContactRecord)).one()
    assert (record.fsa, record.call_type, record.follow_up, str(record.follow_up_due)) == (
        "K1A", "referral", True, "2026-11-30")
    needs = db.scalars(select(ContactNeed).order_by(ContactNeed.position)).all()
    assert [(n.taxonomy_code, n.met, n.unmet_reason, n.referral_ids) for n in needs] == [
        ("BD-1800.2000", True, None, [referral]), ("BH-3800.7000", False, "waiting_list", [])]
    assert all((n.region, n.fsa, n.month, n.complete) == ("east", "K1A", "2026-11", True) for n in needs)


def test_bad_input_gets_an_error_by_each_field_and_stores_nothing(
        app: Flask, client: FlaskClient, db: Session, call: str) -> None:
    sam = token_for(app, "sam@example.org", "specialist", 1)
    sent = body(fsa="K1A 0B1", needs=[{"code": "ZZ-9999", "outcome": "met"},
                                       {"code": "BH-3800.7000", "outcome": "unmet", "reason": "bored"}])
    resp = client.put(f"/api/contacts/records/{call}", json=sent, headers=sam)
    assert resp.status_code == 400
    errors = resp.get_json()["errors"]
    assert set(errors) == {"fsa", "needs.1.reason"}  # shape first: the code is checked next
    assert "never the full postal code" in errors["fsa"] and "K1A 0B1" not in errors["fsa"]
    resp = client.put(f"/api/contacts/records/{call}", json=body(
        needs=[{"code": "ZZ-9999", "outcome": "met", "referral_ids": [999]},
               {"code": "BD", "outcome": "unmet"}, {"code": "BD", "outcome": "unmet", "reason": "other"}],
        call_type=None, follow_up_due=None), headers=sam)
    errors = resp.get_json()["errors"]
    assert errors == {
        "needs.0.code": "ZZ-9999 is not a taxonomy code; choose one from the list",
        "needs.0.referral_ids": "only referrals given on this call can meet a need",
        "needs.1.reason": "choose why the need went unmet",
        "needs.2.note": "say in the note why the need went unmet",
        "call_type": "choose the call type",
        "follow_up_due": "give the date the follow-up is due"}
    assert db.scalars(select(ContactRecord)).all() == []


def test_a_draft_may_be_incomplete_and_finished_later(app: Flask, client: FlaskClient, db: Session,
                                                      call: str) -> None:
    sam = token_for(app, "sam@example.org", "specialist", 1)
    draft = {"needs": [{"code": "BD"}], "fsa": "k1a"}
    assert client.put(f"/api/contacts/records/{call}", json=draft, headers=sam).status_code == 200
    record = db.scalars(select(ContactRecord)).one()
    assert (record.status, record.fsa, record.wrap_up_seconds) == ("draft", "K1A", None)
    assert client.put(f"/api/contacts/records/{call}", json=body(), headers=sam).status_code == 200
    db.expire_all()
    assert db.scalars(select(ContactRecord)).one().status == "complete"


def test_only_the_calls_specialist_or_a_supervisor_may_write(app: Flask, client: FlaskClient,
                                                             call: str) -> None:
    kim = token_for(app, "kim@example.org", "specialist", 2)
    resp = client.put(f"/api/contacts/records/{call}", json=body(), headers=kim)
    assert resp.status_code == 403 and "another specialist" in resp.get_json()["error"]
    assert client.get(f"/api/contacts/records/{call}", headers=kim).status_code == 403
    assert client.get("/api/contacts/records/CAnone", headers=kim).status_code == 404
    planner = token_for(app, "pat@example.org", "planner")
    assert client.put(f"/api/contacts/records/{call}", json=body(), headers=planner).status_code == 403
    boss = token_for(app, "sup@example.org", "supervisor")
    assert client.put(f"/api/contacts/records/{call}", json=body(), headers=boss).status_code == 200


def test_after_the_lock_only_a_supervisor_edits_with_a_reason_and_it_is_audited(
        app: Flask, client: FlaskClient, db: Session, clock: SimClock, call: str) -> None:
    sam = token_for(app, "sam@example.org", "specialist", 1)
    boss = token_for(app, "sup@example.org", "supervisor")
    assert client.put(f"/api/contacts/records/{call}", json=body(), headers=sam).status_code == 200
    clock.set(CALL_AT + timedelta(hours=73))  # default lock: 72 h after the call ended
    resp = client.put(f"/api/contacts/records/{call}", json=body(fsa="K2P"), headers=sam)
    assert resp.status_code == 403 and "locked" in resp.get_json()["error"]
    resp = client.put(f"/api/contacts/records/{call}", json=body(fsa="K2P"), headers=boss)
    assert resp.status_code == 400 and "edit_reason" in resp.get_json()["errors"]
    resp = client.put(f"/api/contacts/records/{call}", json=body(fsa="K2P", edit_reason="caller moved"),
                      headers=boss)
    assert resp.status_code == 200 and resp.get_json()["locked"] is True
    audit = db.scalars(select(ContactRecordAudit)).one()
    assert (audit.reason, audit.changes) == ("caller moved", {"fsa": ["K1A", "K2P"]})


def test_follow_ups_and_the_supervisors_incomplete_list(app: Flask, client: FlaskClient, db: Session,
                                                        call: str) -> None:
    answered_call(db, "CA2", CALL_AT)  # no record at all
    answered_call(db, "CA3", CALL_AT)  # a draft only
    sam = token_for(app, "sam@example.org", "specialist", 1)
    client.put(f"/api/contacts/records/{call}", json=body(), headers=sam)
    client.put("/api/contacts/records/CA3", json={"needs": []}, headers=sam)
    boss = token_for(app, "sup@example.org", "supervisor")
    calls = client.get("/api/contacts/incomplete", headers=boss).get_json()["calls"]
    assert sorted((c["call_sid"], c["record"]) for c in calls) == [("CA2", "none"), ("CA3", "draft")]
    assert client.get("/api/contacts/incomplete", headers=sam).status_code == 403
    due = client.get("/api/contacts/follow-ups", headers=sam).get_json()["follow_ups"]
    assert [(f["call_sid"], f["due"], f["overdue"]) for f in due] == [("CA1", "2026-11-30", False)]
    assert client.post(f"/api/contacts/records/{call}/follow-up-done", headers=sam).status_code == 200
    assert client.get("/api/contacts/follow-ups", headers=sam).get_json()["follow_ups"] == []


def test_taxonomy_type_ahead_on_code_and_english_or_french_name(app: Flask, client: FlaskClient,
                                                                call: str) -> None:
    sam = token_for(app, "sam@example.org", "specialist", 1)

    def codes(q: str) -> list[str]:
        got = client.get(f"/api/contacts/taxonomy?q={q}", headers=sam).get_json()
        return [t["code"] for t in got["terms"]]

    assert codes("bd-18")[:3] == ["BD-1800", "BD-1850", "BD-1800.2000"]
    assert "BH-3800.7000" in codes("rent pay")
    assert codes("banques alim")[0] == "BD-1800.2000"  # its French name
    assert "BH-3800.7000" in codes("aide au loyer")  # the directory's French phrases
    assert codes("") == []
