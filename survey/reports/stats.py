"""Proportions with a 95% Wilson score interval (good at small counts and near 0% or 100%)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(positive: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """(low, high) as fractions, or None with no answers."""
    if total <= 0:
        return None
    p = positive / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def proportion(positive: int, total: int) -> dict[str, float | int | None]:
    """A figure as reports show it: counts, percentage and its interval in percent."""
    interval = wilson(positive, total)
    return {
        "positive": positive, "answered": total,
        "pct": round(100 * positive / total, 1) if total else None,
        "ci_low": round(100 * interval[0], 1) if interval else None,
        "ci_high": round(100 * interval[1], 1) if interval else None,
    }


def ratio(part: int | None, whole: int | None) -> float | None:
    return round(100 * (part or 0) / whole, 1) if whole else None
