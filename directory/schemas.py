"""The directory API's input: query strings and bodies as pydantic models (`config.api_schema`).

Regions are the live deployment's (a region published by an admin is a filter at once) and
languages are any name or code the directory reads (`directory.parsing.language_code`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.extensions import deployment
from directory.parsing import language_code

MAX_LIMIT = 100
TAXONOMY_CODE = r"^[A-Za-z0-9.\-]{1,40}$"


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: str = Field("", max_length=200, description="what the caller needs, in English or French")
    region: str | None = Field(None, description="a region id of the live deployment")
    area: str | None = Field(None, max_length=100, description="a town or service area")
    language: str | None = Field(None, max_length=60, description="a language name or code")
    taxonomy: str = Field("", max_length=400, description="taxonomy code prefixes, comma-separated")
    open_now: bool = False
    accessible: bool = False
    limit: int = Field(20, ge=1, le=MAX_LIMIT)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        regions = deployment().regions
        if value is not None and value.strip() not in regions:
            raise ValueError(f"unknown region {value!r}; one of {sorted(regions)}")
        return value.strip() if value else None

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = language_code(value.strip())
        if code is None:
            raise ValueError(f"unknown language {value!r}")
        return code

    @field_validator("taxonomy")
    @classmethod
    def _codes(cls, value: str) -> str:
        import re

        for prefix in (t.strip() for t in value.split(",") if t.strip()):
            if not re.match(TAXONOMY_CODE, prefix):
                raise ValueError(f"bad taxonomy code {prefix!r}")
        return value

    def taxonomy_prefixes(self) -> tuple[str, ...]:
        return tuple(t.strip().upper() for t in self.taxonomy.split(",") if t.strip())


class ServiceQuery(BaseModel):
    source: str | None = Field(None, max_length=64, description="the dataset, when an id is in several")


class ReferralsQuery(BaseModel):
    call_sid: str = Field(min_length=1, max_length=64)


class ScreenPopQuery(BaseModel):
    seen: int = Field(0, ge=0, description="events already shown")


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    call_sid: str = Field(min_length=1, max_length=64)
    service_id: str = Field(min_length=1, max_length=200)
    source: str | None = Field(None, max_length=64)


class FeedbackIn(BaseModel):
    """A result marked as not what the specialist needed: the query and the service, nothing
    about the call (extra fields, a call id among them, are refused)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    query: str = Field(min_length=1, max_length=200, description="the search as typed")
    service_id: str = Field(min_length=1, max_length=200)
    source: str | None = Field(None, max_length=64)
