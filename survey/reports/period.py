"""A reporting period: whole days in the deployment's time zone, and its months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    timezone: str  # the deployment's (`config.extensions.deployment().timezone`)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    def instant(self, day: date) -> datetime:
        """Local midnight of `day`, in UTC (how call times are compared)."""
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    @property
    def start_utc(self) -> datetime:
        return self.instant(self.start)

    @property
    def end_utc(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        return self.instant(self.end + timedelta(days=1))

    def month_starts(self) -> list[tuple[str, datetime]]:
        """("2026-11", local first instant of that month in UTC) for each month touched."""
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append((day.strftime("%Y-%m"), self.instant(day)))
            day = (day + timedelta(days=32)).replace(day=1)
        return months
