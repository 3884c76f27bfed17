"""Live emergency bulletins, cached per worker and invalidated through the shared store.

An admin's change bumps a version counter in the shared store; every worker compares it on
the next call and reloads from the database (`config.versioned_cache`, as for the rules), so
a bulletin reaches every call within one call's time, on every worker, without a restart. With
the database down the last bulletins read stand, or none on a worker that never read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from config.shared_store import SharedStore
from config.versioned_cache import VersionedCache, bump
from routing.store.models import Bulletin

VERSION_KEY = "bulletins:version"


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


def bulletin_cache() -> VersionedCache[tuple[LiveBulletin, ...]]:
    """The worker's live bulletins, following the bulletin counter (`config.versioned_cache`)."""
    return VersionedCache("bulletins", VERSION_KEY)


def current_bulletins(cache: VersionedCache[tuple[LiveBulletin, ...]], store: SharedStore,
                      makesession: sessionmaker[Session], at: datetime, region: str | None,
                      language: str) -> list[str]:
    """What a caller in `region` hears now; none while the bulletins could never be read."""

    def load() -> tuple[LiveBulletin, ...]:
        with makesession() as db:
            return load_bulletins(db, at)

    items = cache.get(store, load, fallback=tuple)
    return [b.text(language) for b in items if b.applies(at, region)]


def load_bulletins(session: Session, at: datetime) -> tuple[LiveBulletin, ...]:
    """Bulletins not yet over; start times are checked per call so a scheduled one goes live."""
    live = or_(Bulletin.ends_at.is_(None), Bulletin.ends_at > at)
    rows = session.scalars(select(Bulletin).where(live))
    return tuple(LiveBulletin(b.id, b.text_en, b.text_fr, b.starts_at, b.ends_at, tuple(b.regions or ()))
                 for b in rows)


def bulletins_changed(store: SharedStore) -> None:
    """Call after any bulletin write so every worker reloads."""
    bump(store, VERSION_KEY)

