"""An emergency bulletin reaches the next call, and only where and when it applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from config.shared_store import SharedStore
from ivr.simulator.cli import SimClock
from routing.store.bulletins import bulletins_changed
from routing.store.models import Bulletin
from tests.twilio_helpers import SignedClient, spoken, twiml


def add_bulletin(db: Session, store: SharedStore, start: datetime, regions: list[str],
                 hours: int = 6) -> None:
    db.add(Bulletin(title="Flood", text_en="Flooding in Thunder Bay: shelters are open.",
                    text_fr="Inondation à Thunder Bay : les refuges sont ouverts.",
                    starts_at=start, ends_at=start + timedelta(hours=hours), regions=regions))
    db.commit()
    bulletins_changed(store)


def need_menu_speech(twilio: SignedClient, sid: str, number: str, digit: str) -> str:
    twilio.post("/voice/incoming", CallSid=sid, From=number)
    return spoken(twiml(twilio.post("/voice/language", CallSid=sid, Digits=digit)))


def test_bulletin_plays_in_the_callers_language_in_scope(
        twilio: SignedClient, db: Session, store: SharedStore, clock: SimClock) -> None:
    assert "Flooding" not in need_menu_speech(twilio, "CA0", "+18075550123", "1")
    add_bulletin(db, store, clock.current - timedelta(minutes=5), ["north"])
    assert "Important notice: Flooding in Thunder Bay" in need_menu_speech(twilio, "CA1", "+18075550123", "1")
    assert "Avis important : Inondation" in need_menu_speech(twilio, "CA2", "+18075550123", "2")
    assert "Flooding" not in need_menu_speech(twilio, "CA3", "+14165550123", "1")  # Toronto


def test_bulletin_respects_its_start_and_end(twilio: SignedClient, db: Session, store: SharedStore,
                                             clock: SimClock) -> None:
    add_bulletin(db, store, clock.current + timedelta(hours=1), [], hours=2)
    assert "Flooding" not in need_menu_speech(twilio, "CA1", "+14165550123", "1")
    clock.set(clock.current + timedelta(hours=1, minutes=1))
    assert "Flooding" in need_menu_speech(twilio, "CA2", "+14165550123", "1")
    clock.set(clock.current + timedelta(hours=3))
    assert "Flooding" not in need_menu_speech(twilio, "CA3", "+14165550123", "1")


def test_bulletin_reaches_a_worker_that_already_cached_none(app: Flask, db: Session,
                                                            store: SharedStore, clock: SimClock,
                                                            twilio: SignedClient) -> None:
    need_menu_speech(twilio, "CA1", "+14165550123", "1")  # this worker caches "no bulletins"
    add_bulletin(db, store, datetime(2026, 1, 1, tzinfo=UTC), [], hours=24 * 365)
    assert "Flooding" in need_menu_speech(twilio, "CA2", "+14165550123", "1")
