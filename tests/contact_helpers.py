"""Helpers for the contact-record tests: answered calls, staff tokens, a record body."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.cli import AccountError, create_user, set_token
from directory.models import Referral, Service
from ivr.models import CallRecord, Specialist
from needs.models import STATUS_COMPLETE, STATUS_DRAFT, ContactNeed, ContactRecord


def token_for(app: Flask, email: str, role: str, specialist_id: int | None = None) -> dict[str, str]:
    with app.app_context():
        try:
            token: str | None = create_user(email, email.split("@")[0], role, "a-long-password-1",
                                            specialist_id)
        except AccountError:  # asked again: a new token for the same account
            token = set_token(email)
    return {"Authorization": f"Bearer {token}"}


def specialists(db: Session) -> None:
    db.add_all([Specialist(id=1, name="Sam", phone="+14165550101", provider="east"),
                Specialist(id=2, name="Kim", phone="+14165550102", provider="east")])
    db.commit()


def answered_call(db: Session, call_sid: str, at: datetime, *, specialist_id: int = 1,
                  region: str = "east", need: str = "food", language: str = "fr",
                  talk_seconds: int = 300, ended: bool = True) -> CallRecord:
    call = CallRecord(call_sid=call_sid, started_at=at, enqueued_at=at + timedelta(seconds=30),
                      answered_at=at + timedelta(seconds=60),
                      ended_at=at + timedelta(seconds=60 + talk_seconds) if ended else None,
                      language=language, region=region, need=need, provider=region,
                      result="answered", specialist_id=specialist_id)
    db.add(call)
    db.commit()
    return call


def refer(db: Session, call_sid: str, source_id: str, at: datetime, need: str = "food") -> int:
    service = db.scalars(select(Service).where(Service.source_id == source_id)).one()
    referral = Referral(call_sid=call_sid, service_id=service.id, specialist_id=1, need=need,
                        created_at=at)
    db.add(referral)
    db.commit()
    return referral.id


def body(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "needs": [{"code": "BD-1800.2000", "outcome": "met", "referral_ids": []},
                  {"code": "BH-3800.7000", "outcome": "unmet", "reason": "waiting_list"}],
        "fsa": "K1A", "age_group": "25_44", "call_type": "referral", "follow_up": True,
        "follow_up_due": "2026-11-30", "complete": True}
    base.update(overrides)
    return base


def stored_record(db: Session, call_sid: str, day: date, region: str, fsa: str | None,
                  needs: list[tuple[str, bool, str | None]], *, complete: bool = True,
                  call_type: str = "referral", wrap_up: int | None = 60) -> None:
    """A record written straight to the tables, as `needs.record.save` writes them."""
    at = datetime.combine(day, time(12), tzinfo=UTC)
    record = ContactRecord(
        call_sid=call_sid, specialist_id=1, status=STATUS_COMPLETE if complete else STATUS_DRAFT,
        region=region, fsa=fsa, call_type=call_type, follow_up=False, call_date=day,
        created_at=at, updated_at=at, locks_at=at + timedelta(hours=72),
        completed_at=at if complete else None, wrap_up_seconds=wrap_up if complete else None,
        needs=[ContactNeed(position=i, taxonomy_code=code, met=met, unmet_reason=reason,
                           referral_ids=[], call_date=day, month=day.strftime("%Y-%m"),
                           region=region, fsa=fsa, complete=complete)
               for i, (code, met, reason) in enumerate(needs)])
    db.add(record)


def known_counts(db: Session) -> None:
    """The report fixture; tests/test_needs_report.py lists what it must add up to."""
    nov, dec = date(2026, 11, 10), date(2026, 12, 3)
    for i in range(6):
        stored_record(db, f"CAe{i}", nov, "east", "K1A", [("BD-1800.2000", True, None)])
    for i in range(2):
        stored_record(db, f"CAn{i}", nov, "east", "K1A", [("BD-1800", False, "no_service")])
    stored_record(db, "CAw", nov, "east", "K2P", [("BD-5000", False, "waiting_list")])
    stored_record(db, "CA2", nov, "east", "K2P", [("BH-3800.7000", False, "not_eligible"),
                                                   ("BD-1800.2000", False, "cannot_reach")],
                  call_type="advocacy", wrap_up=120)
    for i in range(3):
        stored_record(db, f"CAr{i}", dec, "north", "P3B", [("BH-3800.7000", False, "waiting_list")])
    stored_record(db, "CAdraft", dec, "north", "P3B", [("BD-1800.2000", True, None)], complete=False)
    stored_record(db, "CAdent", dec, "north", "P3A", [("LV-1600", True, None)], call_type="information")
    stored_record(db, "CAold", date(2026, 9, 1), "east", "K1A", [("BD-1800", False, "other")])
    db.commit()
