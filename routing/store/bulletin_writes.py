"""Writing bulletins: checked input and an audit entry. The caller commits, then tells every
worker to reload (`routing.store.bulletins.bulletins_changed`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.store import audit
from routing.store.models import Bulletin

FIELDS = ("title", "text_en", "text_fr", "starts_at", "ends_at", "regions")


class BulletinInvalid(ValueError):
    """The bulletin cannot be saved; the message says which field and why."""


def _when(value: Any, timezone: str, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise BulletinInvalid(f"{field} must be a time like 2026-12-24T18:00") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))


def clean(data: dict[str, Any], known_regions: set[str], timezone: str) -> dict[str, Any]:
    """Checked bulletin fields; times without an offset are read in the deployment's zone."""
    out: dict[str, Any] = {}
    for field in ("title", "text_en", "text_fr"):
        text = str(data.get(field) or "").strip()
        if not text:
            raise BulletinInvalid(f"{field} is required")
        out[field] = text[:120] if field == "title" else text[:2000]
    out["starts_at"] = _when(data.get("starts_at"), timezone, "starts_at")
    if out["starts_at"] is None:
        raise BulletinInvalid("starts_at is required")
    out["ends_at"] = _when(data.get("ends_at"), timezone, "ends_at")
    if out["ends_at"] is not None and out["ends_at"] <= out["starts_at"]:
        raise BulletinInvalid("ends_at must be after starts_at")
    regions = data.get("regions") or []
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise BulletinInvalid("regions must be a list of region ids (empty: the whole province)")
    unknown = sorted(set(regions) - known_regions)
    if unknown:
        raise BulletinInvalid(f"unknown region(s): {', '.join(unknown)}")
    out["regions"] = sorted(set(regions))
    return out


def as_dict(bulletin: Bulletin) -> dict[str, Any]:
    return {"id": bulletin.id, "title": bulletin.title, "text_en": bulletin.text_en,
            "text_fr": bulletin.text_fr, "starts_at": bulletin.starts_at.isoformat(),
            "ends_at": bulletin.ends_at.isoformat() if bulletin.ends_at else None,
            "regions": list(bulletin.regions or [])}


def all_bulletins(db: Session) -> list[Bulletin]:
    return list(db.scalars(select(Bulletin).order_by(Bulletin.starts_at.desc())))


def save(db: Session, actor: str, at: datetime, fields: dict[str, Any],
         bulletin: Bulletin | None = None) -> Bulletin:
    before = as_dict(bulletin) if bulletin else None
    if bulletin is None:
        bulletin = Bulletin(**fields)
        db.add(bulletin)
    else:
        for key, value in fields.items():
            setattr(bulletin, key, value)
    db.flush()
    after = as_dict(bulletin)
    audit.record(db, at, actor, "bulletin.update" if before else "bulletin.create",
                 f"bulletin {bulletin.id}", before, after, summary=bulletin.title)
    return bulletin


def delete(db: Session, actor: str, at: datetime, bulletin: Bulletin) -> None:
    before = as_dict(bulletin)
    db.delete(bulletin)
    audit.record(db, at, actor, "bulletin.delete", f"bulletin {before['id']}", before, None,
                 summary=before["title"])
