"""Disaster mode's durable state: turning it on or off (checked, audited), and every worker's
copy of it.

Each change is a new `DisasterModeChange` row and an audit entry, committed by the caller,
who then bumps the counter in the shared store (`disaster_changed`): every worker compares
it on its next call and reloads (`config.versioned_cache`, as for bulletins and the rules),
so the change is in effect everywhere from the next call. While the store or the database
cannot be read a worker keeps the mode it last read (held in memory); one that never read
it answers as the ordinary line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.shared_store import SharedStore
from config.versioned_cache import VersionedCache, bump
from routing.engine.disaster import OFF, DisasterMode
from routing.store import audit
from routing.store.models import DisasterModeChange
from routing.store.queue_sizes import owe_resize

VERSION_KEY = "disaster:version"
TEXT_FIELDS = ("event", "bulletin_en", "bulletin_fr", "info_en", "info_fr")
LIMITS = {"event": 120, "bulletin_en": 1000, "bulletin_fr": 1000, "info_en": 4000,
          "info_fr": 4000}


class DisasterInvalid(ValueError):
    """Disaster mode cannot be turned on with this input; `field` names the one at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def clean(data: dict[str, Any]) -> dict[str, str]:
    """The texts callers will hear, each required in both languages and bounded."""
    out: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise DisasterInvalid(f"{name} must be text", name)
        text = (value or "").strip()
        if not text:
            raise DisasterInvalid(f"{name} is required", name)
        if len(text) > LIMITS[name]:
            raise DisasterInvalid(f"{name} is longer than {LIMITS[name]} characters", name)
        if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text):  # NUL: PostgreSQL refuses it
            raise DisasterInvalid(f"{name} must not contain control characters", name)
        out[name] = text
    return out


def as_mode(row: DisasterModeChange | None) -> DisasterMode:
    if row is None:
        return OFF
    return DisasterMode(on=row.active, event=row.event, bulletin_en=row.bulletin_en,
                        bulletin_fr=row.bulletin_fr, info_en=row.info_en, info_fr=row.info_fr,
                        version=row.id, changed_at=row.changed_at, changed_by=row.changed_by)


def as_dict(mode: DisasterMode) -> dict[str, Any]:
    return {"on": mode.on, **{name: getattr(mode, name) for name in TEXT_FIELDS},
            "version": mode.version,
            "changed_at": mode.changed_at.isoformat() if mode.changed_at else None,
            "changed_by": mode.changed_by or None}


def _audited(mode: DisasterMode) -> dict[str, Any] | None:
    return {"on": mode.on, **{name: getattr(mode, name) for name in TEXT_FIELDS}} if mode.on \
        else {"on": False}


def latest(db: Session) -> DisasterMode:
    return as_mode(db.scalars(select(DisasterModeChange)
                              .order_by(DisasterModeChange.id.desc()).limit(1)).first())


def last_texts(db: Session) -> dict[str, str]:
    """The texts of the last time it was on, to start the form from (a second flood)."""
    row = db.scalars(select(DisasterModeChange).where(DisasterModeChange.active.is_(True))
                     .order_by(DisasterModeChange.id.desc()).limit(1)).first()
    return {name: getattr(row, name) for name in TEXT_FIELDS} if row else {}


def turn_on(db: Session, actor: str, at: datetime, fields: dict[str, str]) -> DisasterMode:
    """On (or its texts changed while on): a new row and an audit entry."""
    return _change(db, actor, at, True, fields)


def turn_off(db: Session, actor: str, at: datetime) -> DisasterMode:
    """Off: routing by the published rules again, exactly as they are."""
    return _change(db, actor, at, False, {})


def _change(db: Session, actor: str, at: datetime, active: bool,
            fields: dict[str, str]) -> DisasterMode:
    before = latest(db)
    row = DisasterModeChange(active=active, changed_at=at, changed_by=actor,
                             **{name: fields.get(name, "") for name in TEXT_FIELDS})
    db.add(row)
    db.flush()
    after = as_mode(row)
    action = ("disaster.update" if before.on else "disaster.on") if active else "disaster.off"
    summary = f"disaster mode on: {after.event}" if active else \
        f"disaster mode off{f' ({before.event})' if before.on else ''}"
    audit.record(db, at, actor, action, "disaster mode", _audited(before), _audited(after),
                 summary=summary)
    if active != before.on:  # the queues' size goes with the mode (a text change keeps it)
        owe_resize(db, active, at)
    return after


def disaster_cache() -> VersionedCache[DisasterMode]:
    """The worker's disaster mode, following its counter (`config.versioned_cache`)."""
    return VersionedCache("disaster mode", VERSION_KEY)


def current_mode(cache: VersionedCache[DisasterMode], store: SharedStore,
                 makesession: sessionmaker[Session]) -> DisasterMode:
    """The mode in effect; the last one read while the store or database is away, and the
    ordinary line (off) on a worker that could never read it."""

    def load() -> DisasterMode:
        with makesession() as db:
            return latest(db)

    return cache.get(store, load, fallback=lambda: OFF)


def held_mode(cache: VersionedCache[DisasterMode]) -> DisasterMode:
    """What this worker last read, without asking the store or the database (fallbacks)."""
    held = cache.held
    return held.value if held is not None else OFF


def disaster_changed(store: SharedStore) -> None:
    """Call after the commit of a change so every worker reloads."""
    bump(store, VERSION_KEY)
