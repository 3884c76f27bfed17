"""Live emergency bulletins, cached per worker and invalidated through the shared store.

An admin's change bumps a version counter in the shared store; every worker compares it on
the next call and reloads from the database, so a bulletin reaches every call within one
call's time, on every worker, without a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.shared_store import SharedStore
from routing.models import Bulletin

VERSION_KEY = "bulletins:version"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveBulletin:
    id: int
    text_en: str
    text_fr: str
    starts_at: datetime
    ends_at: datetime | None
    regions: tuple[str, ...]

    def applies(self, at: datetime, region: str | None) -> bool:
        in_time = self.starts_at <= at and (self.ends_at is None or at < self.ends_at)
        in_scope = not self.regions or region in self.regions
        return in_time and in_scope

    def text(self, language: str) -> str:
        return self.text_fr if language == "fr" else self.text_en


class BulletinCache:
    def __init__(self) -> None:
        self._version: int | None = None
        self._items: tuple[LiveBulletin, ...] = ()

    def current(self, store: SharedStore, session: Session, at: datetime, region: str | None,
                language: str) -> list[str]:
        try:  # the store or the database away: the bulletins this worker last read stand
            version = int(store.get_json(VERSION_KEY) or 0)
            if version != self._version:
                self._items = load_bulletins(session, at)
                self._version = version
        except Exception as err:
            log.warning("bulletins not refreshed (%s); saying the last ones read", type(err).__name__)
            session.rollback()
        return [b.text(language) for b in self._items if b.applies(at, region)]


def load_bulletins(session: Session, at: datetime) -> tuple[LiveBulletin, ...]:
    """Bulletins not yet over; start times are checked per call so a scheduled one goes live."""
    live = or_(Bulletin.ends_at.is_(None), Bulletin.ends_at > at)
    rows = session.scalars(select(Bulletin).where(live))
    return tuple(LiveBulletin(b.id, b.text_en, b.text_fr, b.starts_at, b.ends_at, tuple(b.regions or ()))
                 for b in rows)


def bulletins_changed(store: SharedStore) -> None:
    """Call after any bulletin write so every worker reloads."""
    store.incr(VERSION_KEY)

