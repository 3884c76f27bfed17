"""The contact record's JSON body, checked by pydantic; errors come back keyed by field path.

Shape and format are checked here (the reason is in the fixed list, the FSA is three
characters and never a full postal code, dates are dates). What needs the database (a code in
the taxonomy, a referral given on this call) and what completion requires are checked in
`needs.record`, with errors in the same `{"needs.1.reason": "..."}` form.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from needs.models import AGE_GROUPS, CALL_TYPES, UNMET_REASONS

FSA = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]$")
POSTAL_CODE = re.compile(r"^[A-Z]\d[A-Z]\d[A-Z]\d$")
MAX_NEEDS = 20


def _one_of(value: str | None, allowed: dict[str, str], what: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise ValueError(f"{what} must be one of: {', '.join(allowed)}")
    return value


class NeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=80)
    outcome: Literal["met", "unmet"] | None = None
    referral_ids: list[int] = Field(default_factory=list, max_length=50)
    reason: str | None = None
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> object:
        code = str(value or "").strip().upper()
        if not code:
            raise ValueError("choose a taxonomy term")
        return code

    @field_validator("outcome", mode="before")
    @classmethod
    def _outcome(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if value not in ("met", "unmet"):
            raise ValueError("say whether the need was met or unmet")
        return value

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: object) -> object:
        return _one_of(value or None, UNMET_REASONS, "the reason")  # type: ignore[arg-type]

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: object) -> object:
        return str(value).strip() or None if value is not None else None


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    needs: list[NeedIn] = Field(default_factory=list, max_length=MAX_NEEDS)
    fsa: str | None = None
    age_group: str | None = None
    call_type: str | None = None
    follow_up: bool = False
    follow_up_due: date | None = None
    complete: bool = False
    edit_reason: str | None = Field(default=None, max_length=500)

    @field_validator("fsa", mode="before")
    @classmethod
    def _fsa(cls, value: object) -> object:
        raw = re.sub(r"\s+", "", str(value or "")).upper()
        if not raw:
            return None
        if POSTAL_CODE.match(raw) or len(raw) > 3:
            raise ValueError("enter only the first three characters (the FSA, e.g. K1A), "
                             "never the full postal code")
        if not FSA.match(raw):
            raise ValueError("an FSA is a letter, a digit and a letter, e.g. K1A")
        return raw

    @field_validator("age_group", mode="before")
    @classmethod
    def _age(cls, value: object) -> object:
        return _one_of(value or None, AGE_GROUPS, "the age group")  # type: ignore[arg-type]

    @field_validator("call_type", mode="before")
    @classmethod
    def _type(cls, value: object) -> object:
        return _one_of(value or None, CALL_TYPES, "the call type")  # type: ignore[arg-type]

    @field_validator("follow_up_due", mode="before")
    @classmethod
    def _due(cls, value: object) -> object:
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValueError("the due date must be a date, YYYY-MM-DD") from None


def field_errors(error: ValidationError) -> dict[str, str]:
    """pydantic's errors as {"needs.0.reason": "message"}, the first message per field."""
    out: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "body"
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not a field of the contact record"
        out.setdefault(path, message)
    return out


def parse_record(body: object) -> tuple[RecordIn | None, dict[str, str]]:
    if not isinstance(body, dict):
        return None, {"body": "send a JSON object"}
    try:
        return RecordIn.model_validate(body), {}
    except ValidationError as error:
        return None, field_errors(error)
