"""Adding the cubes' partial counts up into breakdowns (a few thousand rows, never data rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

UNKNOWN = "unknown"
OVERALL = "all"


def key_of(row: dict[str, Any], dimension: str) -> str:
    if dimension == "overall":
        return OVERALL
    value = row.get(dimension)
    return UNKNOWN if value is None else str(value)


def add_up(rows: Iterable[dict[str, Any]], by: tuple[str, ...],
           fields: tuple[str, ...]) -> dict[tuple[str, ...], dict[str, int]]:
    """Sum `fields` of rows sharing the same values of `by` ('overall' groups everything)."""
    totals: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(fields, 0))
    for row in rows:
        group = totals[tuple(key_of(row, name) for name in by)]
        for name in fields:
            group[name] += int(row[name] or 0)
    return dict(totals)
