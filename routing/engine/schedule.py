"""Weekly opening hours and holidays, reduced to minutes of the week in local time.

A schedule answers one question, `is_open(week_minute, holiday)`, where `week_minute` counts
from Monday 00:00 local time (0..10079) and `holiday` says whether the local date is an
Ontario statutory holiday or an admin's closure day for the caller's region. Working in
local minutes of the week makes DST changes a non-event (02:30 on the spring-forward day
simply never occurs) and lets validation check coverage per schedule boundary.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY = 24 * 60
WEEK = 7 * DAY
HOLIDAY_POLICIES = ("closed", "weekly", "hours")

Intervals = tuple[tuple[int, int], ...]


class ScheduleError(ValueError):
    """A schedule that cannot be read (bad day name, time or policy)."""


def parse_hhmm(text: str) -> int:
    """'08:30' -> 510 minutes; '24:00' is allowed as the end of a day."""
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
    except ValueError as exc:
        raise ScheduleError(f"'{text}' is not a time like 08:30") from exc
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ScheduleError(f"'{text}' is not a time of day")
    return hours * 60 + minutes


def format_minute(week_minute: int) -> str:
    day, minute = divmod(week_minute % WEEK, DAY)
    return f"{DAY_NAMES[day]} {minute // 60:02d}:{minute % 60:02d}"


def _merge(intervals: Iterable[tuple[int, int]]) -> Intervals:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _window(day_offset: int, window: object, span: int) -> list[tuple[int, int]]:
    """One [start, end] window; an end at or before the start runs past midnight."""
    if not isinstance(window, list | tuple) or len(window) != 2:
        raise ScheduleError(f"window {window!r} must be [start, end]")
    start, end = parse_hhmm(str(window[0])), parse_hhmm(str(window[1]))
    if start == end == 0 or (start == 0 and end == DAY):
        return [(day_offset, day_offset + DAY)]
    if end <= start:
        end += DAY
    lo, hi = day_offset + start, day_offset + end
    if hi <= span:
        return [(lo, hi)]
    return [(lo, span), (0, hi - span)]  # past the end of the week (or day): wrap around


def _contains(intervals: Intervals, starts: tuple[int, ...], minute: int) -> bool:
    index = bisect.bisect_right(starts, minute) - 1
    return index >= 0 and minute < intervals[index][1]


@dataclass(frozen=True)
class Schedule:
    """Open hours: weekly windows, and what happens on holidays (closed, as weekly, own hours)."""

    id: str
    weekly: Intervals
    on_holidays: str = "closed"
    holiday_hours: Intervals = ()
    weekly_starts: tuple[int, ...] = ()  # the windows' starts, for bisect (set by parse_schedule)

    def is_open(self, week_minute: int, holiday: bool) -> bool:
        if holiday and self.on_holidays == "closed":
            return False
        if holiday and self.on_holidays == "hours":
            day_minute = week_minute % DAY
            return any(start <= day_minute < end for start, end in self.holiday_hours)
        return _contains(self.weekly, self.weekly_starts, week_minute)

    def boundaries(self) -> set[int]:
        """Every minute of the week at which this schedule may change state."""
        points = {point for interval in self.weekly for point in interval}
        for day in range(7):
            points.update(day * DAY + point for interval in self.holiday_hours for point in interval)
        return {point % WEEK for point in points}


def parse_schedule(schedule_id: str, spec: dict[str, object]) -> Schedule:
    """Read `{"weekly": {"mon": [["08:00","20:00"]], ...}, "holidays": "closed"|"weekly"|[...]}`."""
    weekly = spec.get("weekly") or {}
    if not isinstance(weekly, dict):
        raise ScheduleError("weekly must map day names (mon..sun) to lists of [start, end]")
    intervals: list[tuple[int, int]] = []
    for day, windows in weekly.items():
        if day not in WEEKDAYS:
            raise ScheduleError(f"'{day}' is not a day (use {', '.join(WEEKDAYS)})")
        for window in windows or []:
            intervals += _window(WEEKDAYS.index(day) * DAY, window, WEEK)
    policy = spec.get("holidays", "closed")
    holiday_hours: list[tuple[int, int]] = []
    if isinstance(policy, list):
        for window in policy:
            holiday_hours += _window(0, window, DAY)
        policy = "hours"
    if policy not in HOLIDAY_POLICIES:
        raise ScheduleError("holidays must be 'closed', 'weekly' or a list of [start, end]")
    weekly_intervals = _merge(intervals)
    return Schedule(schedule_id, weekly_intervals, str(policy), _merge(holiday_hours),
                    tuple(start for start, _ in weekly_intervals))


def week_minute(local: datetime) -> int:
    return local.weekday() * DAY + local.hour * 60 + local.minute


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[date, str]:
    """Ontario's statutory holidays (with observed days) for one year, from `holidays`."""
    return dict(holidays.country_holidays("CA", subdiv="ON", years=year).items())


@dataclass(frozen=True)
class Closure:
    """An admin-added closure day, for every region or only some."""

    day: date
    name: str
    regions: frozenset[str] = frozenset()

    def applies(self, region: str | None) -> bool:
        return not self.regions or region in self.regions


class HolidayCalendar:
    """Statutory holidays plus closure days; `holiday(day, region)` names the reason or is None."""

    def __init__(self, closures: Iterable[Closure] = ()) -> None:
        self._closures: dict[date, list[Closure]] = {}
        for closure in closures:
            self._closures.setdefault(closure.day, []).append(closure)

    def holiday(self, day: date, region: str | None) -> str | None:
        for closure in self._closures.get(day, ()):
            if closure.applies(region):
                return f"closure day: {closure.name}"
        name = statutory_holidays(day.year).get(day)
        return f"statutory holiday: {name}" if name else None


def local_time(at: datetime, timezone: str) -> datetime:
    return at.astimezone(ZoneInfo(timezone))
