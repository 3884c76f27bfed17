"""Routing's durable state: emergency bulletins, rule-set versions and the draft, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, UTCDateTime


class Bulletin(Base):
    """An emergency message played to every matching call between `starts_at` and `ends_at`."""

    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    text_en: Mapped[str] = mapped_column(Text)
    text_fr: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: the whole province


class RuleSetVersion(Base):
    """A published rule set. Never changed once written: rolling back publishes a copy."""

    __tablename__ = "routing_rule_set_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(200))
    source_number: Mapped[int | None] = mapped_column(Integer)  # set when this is a rollback


class RuleSetDraft(Base):
    """The one working copy admins edit; publishing validates it and copies it to a version."""

    __tablename__ = "routing_rule_set_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_number: Mapped[int | None] = mapped_column(Integer)  # the version it started from
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class RoutingAudit(Base):
    """Who changed what in routing, when: every draft save, publish, rollback and bulletin."""

    __tablename__ = "routing_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


@event.listens_for(RuleSetVersion, "before_update")
def _published_versions_never_change(_mapper: Any, _conn: Any, target: RuleSetVersion) -> None:
    raise ValueError(f"rule set version {target.number} is published and cannot change")


class DisasterModeChange(Base):
    """Disaster mode turned on (with what callers hear) or off: one row per change, never
    edited; the latest row is the mode in effect (`routing.store.disaster`)."""

    __tablename__ = "disaster_mode_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    event: Mapped[str] = mapped_column(String(120), default="")
    bulletin_en: Mapped[str] = mapped_column(Text, default="")
    bulletin_fr: Mapped[str] = mapped_column(Text, default="")
    info_en: Mapped[str] = mapped_column(Text, default="")
    info_fr: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    changed_by: Mapped[str] = mapped_column(String(200))
