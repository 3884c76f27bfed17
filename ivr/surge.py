"""The surge view's figures, by region: who waits now, callbacks owed, and in the last 15
minutes the calls that came in, were answered, hung up in the queue or heard only disaster
mode's information, with the answer rate and abandonment (as the reports count them:
answered, or abandoned, over the calls that reached a queue and left it).

Live figures come from the queues (`routing.store.queue_figures`): each waiting CallSid is
counted under its caller's region from the call record (a pooled overflow from the north
waiting at Central counts for the north), and under its queue's own region when it has no
record yet. The rest are counted from call records. The clock is a parameter, so the figures
of any moment can be checked against known records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from config.breaker import DependencyDown
from config.ontario import Deployment
from ivr.models import CB_OPEN, RESULT_ABANDONED, RESULT_INFORMATION, Callback, CallRecord
from routing.store.queue_figures import QueueFigures

WINDOW = timedelta(minutes=15)
UNKNOWN = "unknown"


@dataclass
class RegionSurge:
    region: str
    name: str
    waiting: int | None = 0  # None: the live queues could not be read
    callbacks_owed: int = 0
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    information_only: int = 0
    answer_rate_pct: float | None = None
    abandonment_pct: float | None = None

    def rates(self) -> None:
        offered = self.answered + self.abandoned
        if offered:
            self.answer_rate_pct = round(100 * self.answered / offered, 1)
            self.abandonment_pct = round(100 * self.abandoned / offered, 1)


@dataclass
class QueueNow:
    provider: str
    name: str
    waiting: int
    longest_wait_seconds: int
    specialists: int


@dataclass
class Surge:
    at: datetime
    since: datetime
    live: bool  # False: the queues' live figures could not be read (the store is away)
    regions: list[RegionSurge] = field(default_factory=list)
    queues: list[QueueNow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"], data["since"] = self.at.isoformat(), self.since.isoformat()
        return data


def callbacks_owed(db: Session, at: datetime) -> Counter[str]:
    """Callbacks promised and not yet made (owed, being dialled, connecting), by the
    caller's region (`ivr.models.Callback`)."""
    del at  # an open callback is owed whatever its age (stale ones are given up by the sweep)
    rows = db.execute(select(Callback.region, func.count()).where(Callback.status.in_(CB_OPEN))
                      .group_by(Callback.region))
    return Counter({region or UNKNOWN: n for region, n in rows})


def _count(db: Session, column: Any, since: datetime, at: datetime, *conditions: Any) -> Counter[str]:
    rows = db.execute(select(CallRecord.region, func.count()).where(
        and_(column >= since, column <= at, *conditions)).group_by(CallRecord.region))
    return Counter({region or UNKNOWN: n for region, n in rows})


def _home_regions(dep: Deployment) -> dict[str, str]:
    """Each provider's own region (the first region it serves), for callers with no record."""
    homes: dict[str, str] = {}
    for region in dep.regions.values():
        homes.setdefault(region.provider, region.id)
    return homes


def _waiting(db: Session, figures: QueueFigures, dep: Deployment,
             at: datetime) -> tuple[Counter[str], list[QueueNow]]:
    homes, by_call, queues = _home_regions(dep), {}, []
    for pid, provider in sorted(dep.providers.items()):
        snap = figures.snapshot(pid, at.timestamp())
        queues.append(QueueNow(pid, provider.name, snap.waiting, round(snap.longest_wait),
                               snap.specialists))
        for sid, _joined in figures.waiting_callers(pid):
            by_call[sid] = homes.get(pid, UNKNOWN)
    if by_call:
        rows = db.execute(select(CallRecord.call_sid, CallRecord.region)
                          .where(CallRecord.call_sid.in_(list(by_call))))
        by_call.update({sid: region for sid, region in rows if region})
    return Counter(by_call.values()), queues


def surge(db: Session, figures: QueueFigures, dep: Deployment, at: datetime) -> Surge:
    """The figures at `at`, every region of the deployment listed (a quiet one with zeros)."""
    since = at - WINDOW
    try:
        waiting, queues = _waiting(db, figures, dep, at)
        live = True
    except DependencyDown:
        waiting, queues, live = Counter(), [], False
    counts = {
        "calls": _count(db, CallRecord.started_at, since, at),
        "answered": _count(db, CallRecord.answered_at, since, at),
        "abandoned": _count(db, CallRecord.ended_at, since, at, CallRecord.result == RESULT_ABANDONED),
        "information_only": _count(db, CallRecord.ended_at, since, at,
                                   CallRecord.result == RESULT_INFORMATION),
    }
    owed = callbacks_owed(db, at)
    names = {rid: region.name_en for rid, region in dep.regions.items()}
    seen = set(names) | set(waiting) | set(owed) | {r for c in counts.values() for r in c}
    result = Surge(at=at, since=since, live=live, queues=queues)
    for rid in sorted(seen, key=lambda r: (r not in names, names.get(r, r))):
        row = RegionSurge(rid, names.get(rid, rid), waiting[rid] if live else None, owed[rid],
                          **{name: c[rid] for name, c in counts.items()})
        row.rates()
        result.regions.append(row)
    return result
