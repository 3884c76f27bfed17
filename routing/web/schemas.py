"""The routing API's input as pydantic models (`config.api_schema`): each field's type is
checked before the engine sees it, so a number where a time belongs, or a list where a region
id belongs, is a 400 naming the field, never a 500."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class DraftIn(RootModel[dict[str, Any]]):
    """The whole rule-set document (validated for publishing by the engine, not here)."""


class SectionIn(RootModel[Any]):
    """The new value of one section of the draft (a list or an object)."""


class ValidateIn(RootModel[dict[str, Any] | None]):
    """A rule-set document to validate; none: the draft."""


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500, description="why (kept in the audit log)")


class ExplainIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    caller: str | None = Field(None, alias="from", max_length=32, description="caller ID, e.g. +17055550123")
    at: str | None = Field(None, max_length=40, description="local time, e.g. 2026-12-25T03:00")
    language: Literal["en", "fr"] = "en"
    need: str | None = Field(None, max_length=40)
    region: str | None = Field(None, max_length=40)
    interpreter: str | None = Field(None, max_length=20)
    rules: str = Field("draft", max_length=20, description="draft, published or a version number")
    disaster: Literal["now", "on", "off"] = Field(
        "now", description="disaster mode as it is now, off, or on (a preview)")


class BulletinIn(BaseModel):
    """A bulletin; times without an offset are local (the deployment's time zone)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=120)
    text_en: str = Field(max_length=2000)
    text_fr: str = Field(max_length=2000)
    starts_at: str = Field(max_length=40)
    ends_at: str | None = Field(None, max_length=40)
    regions: list[str] | str = Field(default_factory=list, description="region ids; none: the province")


class BulletinChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=120)
    text_en: str | None = Field(None, max_length=2000)
    text_fr: str | None = Field(None, max_length=2000)
    starts_at: str | None = Field(None, max_length=40)
    ends_at: str | None = Field(None, max_length=40)
    regions: list[str] | str | None = None


class AuditQuery(BaseModel):
    limit: int = Field(100, ge=1, le=1000)


class DisasterIn(BaseModel):
    """Disaster mode on (with every text, English and French) or off (nothing else)."""

    model_config = ConfigDict(extra="forbid")

    on: bool
    event: str | None = Field(None, max_length=120, description="the event's name, as callers hear it")
    bulletin_en: str | None = Field(None, max_length=1000, description="first on every call")
    bulletin_fr: str | None = Field(None, max_length=1000)
    info_en: str | None = Field(None, max_length=4000,
                                description="recorded information, how to donate or volunteer")
    info_fr: str | None = Field(None, max_length=4000)
