"""The callbacks of a period (issue 15): offered, accepted, completed, failed, and how long
callers waited from accepting to being called back and connected, overall and by region.

A callback belongs to the period in which it was offered (its first offer on hold). Read
from `ivr.models.Callback`, which holds no number once a callback is done; nothing here
reads the number.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.models import (
    CB_CANCELLED,
    CB_COMPLETED,
    CB_FAILED,
    CB_OFFERED,
    CB_OPEN,
    Callback,
)
from survey.reports.period import Period
from survey.reports.stats import ratio

COLUMNS = (Callback.region, Callback.status, Callback.accepted_at, Callback.connected_at)


def _summary(rows: list[Any]) -> dict[str, Any]:
    accepted = [r for r in rows if r.accepted_at is not None]
    waits = sorted((r.connected_at - r.accepted_at).total_seconds() for r in accepted
                   if r.connected_at is not None and r.status == CB_COMPLETED)
    return {
        "offered": len(rows),
        "accepted": len(accepted),
        "declined": sum(1 for r in rows if r.status in (CB_OFFERED, CB_CANCELLED)),
        "completed": sum(1 for r in rows if r.status == CB_COMPLETED),
        "failed": sum(1 for r in rows if r.status == CB_FAILED),
        "still_owed": sum(1 for r in rows if r.status in CB_OPEN),
        "accepted_pct": ratio(len(accepted), len(rows)),
        "time_to_callback_median_s": round(statistics.median(waits)) if waits else None,
        "time_to_callback_max_s": round(waits[-1]) if waits else None,
    }


def callback_report(db: Session, period: Period) -> dict[str, Any]:
    rows = db.execute(select(*COLUMNS).where(Callback.offered_at >= period.start_utc,
                                             Callback.offered_at < period.end_utc)).all()
    by_region: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_region[row.region or "unknown"].append(row)
    return {"overall": _summary(list(rows)),
            "by_region": [{"key": key, **_summary(group)}
                          for key, group in sorted(by_region.items())]}
