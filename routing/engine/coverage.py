"""Coverage: does every region x language x minute of the week, holiday or not, have a route?

Checked per schedule boundary, not per minute: the week is cut at every minute where any
schedule can change state, and each piece becomes one bit in an integer (one bit per piece on
regular days, one per piece on holidays). A rule that decides on region, language and time
alone contributes its bits to the (region, language) pairs it names; whatever bits stay
unset are holes, merged into readable ranges. Rules with needs, interpreter or live queue
conditions may not match, so they never count toward coverage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from routing.engine.ruleset import ENQUEUE, Rule, RuleSet
from routing.engine.schedule import DAY, WEEK, format_minute

REGULAR, HOLIDAY = "regular", "holiday"


@dataclass(frozen=True)
class Hole:
    region: str | None
    language: str
    day_type: str  # "regular" or "holiday"
    start: int  # minute of the week
    end: int

    def describe(self) -> str:
        who = f"region {self.region}" if self.region else "callers whose region is unknown"
        days = "on regular days" if self.day_type == REGULAR else "on holidays and closure days"
        end = "Monday 00:00 (end of week)" if self.end == WEEK else format_minute(self.end)
        when = "all week" if (self.start, self.end) == (0, WEEK) else (
            f"{format_minute(self.start)} to {end}")
        return f"no route for {who}, language {self.language}, {when} {days}"


@dataclass(frozen=True)
class LanguageMismatch:
    rule: str
    provider: str
    language: str


class Grid:
    """The week cut at every schedule boundary; bit i (regular) and bit S+i (holiday)."""

    def __init__(self, rs: RuleSet) -> None:
        points = {0}
        for schedule in rs.schedules.values():
            points |= schedule.boundaries()
        if any(s.on_holidays == "hours" for s in rs.schedules.values()):
            points |= {day * DAY for day in range(7)}
        self.starts = sorted(points)
        self.size = len(self.starts)
        self.regular = (1 << self.size) - 1
        self.holiday = self.regular << self.size
        self.full = self.regular | self.holiday
        self._masks: dict[tuple[str, str], int] = {}
        self.rs = rs

    def end_of(self, index: int) -> int:
        return self.starts[index + 1] if index + 1 < self.size else WEEK

    def schedule_mask(self, name: str, state: str) -> int:
        key = (name, state)
        if key not in self._masks:
            schedule = self.rs.schedules.get(name)
            mask = 0
            for index, start in enumerate(self.starts):
                for offset, holiday in ((0, False), (self.size, True)):
                    is_open = schedule is not None and schedule.is_open(start, holiday)
                    if is_open == (state == "open"):
                        mask |= 1 << (index + offset)
            self._masks[key] = mask
        return self._masks[key]

    def rule_mask(self, rule: Rule) -> int:
        when = rule.when
        mask = self.full
        if when.schedule is not None:
            mask = self.schedule_mask(when.schedule, when.schedule_state)
        if when.day == REGULAR:
            mask &= self.regular
        elif when.day == HOLIDAY:
            mask &= self.holiday
        return mask

    def holes(self, region: str | None, language: str, missing: int) -> Iterator[Hole]:
        for offset, day_type in ((0, REGULAR), (self.size, HOLIDAY)):
            index = 0
            while index < self.size:
                if not missing >> (index + offset) & 1:
                    index += 1
                    continue
                first = index
                while index < self.size and missing >> (index + offset) & 1:
                    index += 1
                yield Hole(region, language, day_type, self.starts[first], self.end_of(index - 1))


@dataclass(frozen=True)
class CoverageResult:
    holes: list[Hole]
    language_mismatches: list[LanguageMismatch]


def check_coverage(rs: RuleSet) -> CoverageResult:
    """Every hole, and where a guaranteed route sends callers to a provider not speaking their language."""
    grid = Grid(rs)
    regions: list[str | None] = [*rs.regions, None]
    covered = {(region, lang): 0 for region in regions for lang in rs.languages}
    mismatches: dict[tuple[str, str], LanguageMismatch] = {}
    for rule in rs.rules:
        if not rule.guaranteed:
            continue
        mask = grid.rule_mask(rule)
        provider = rs.providers.get(str(rule.then.provider)) if rule.then.type == ENQUEUE else None
        for region in regions if rule.when.regions is None else rule.when.regions:
            for lang in rs.languages if rule.when.languages is None else rule.when.languages:
                key = (region, lang)
                if key not in covered:
                    continue
                first_here = mask & ~covered[key]
                if first_here and provider and lang not in provider.languages:
                    mismatches[(rule.id, lang)] = LanguageMismatch(rule.id, provider.id, lang)
                covered[key] |= mask
    holes = [hole for (region, lang), bits in covered.items()
             for hole in grid.holes(region, lang, grid.full & ~bits)]
    return CoverageResult(holes, list(mismatches.values()))
