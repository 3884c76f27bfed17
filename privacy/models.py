"""The audit of callers' access requests: who exported or erased what, when; never the number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, UTCDateTime


class PrivacyRequest(Base):
    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # export | erase
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    operator: Mapped[str] = mapped_column(String(120))  # who ran it (--by, else the OS user)
    reference: Mapped[str | None] = mapped_column(String(120))  # the request's ticket, if any
    found: Mapped[Any] = mapped_column(JSON)  # counts per kind of record, no identifiers
