"""The audit trail: who changed routing, when, and exactly what (a diff of the documents).

The diff walks two JSON documents; lists of objects with an `id` (providers, regions, rules)
are compared by id, so editing one rule shows as one change rather than a shifted list, and a
reordering of rules (which changes routing) is reported on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.store.models import RoutingAudit

Change = dict[str, Any]


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    if not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in items):
        return None
    keyed = {item["id"]: item for item in items}
    return keyed if len(keyed) == len(items) else None


def _diff_lists(path: str, before: list[Any], after: list[Any], out: list[Change]) -> None:
    old, new = _keyed(before), _keyed(after)
    if old is None or new is None:
        out.append({"path": path, "before": before, "after": after})
        return
    for key in old.keys() - new.keys():
        out.append({"path": f"{path}[{key}]", "before": old[key], "after": None})
    for key in new.keys() - old.keys():
        out.append({"path": f"{path}[{key}]", "before": None, "after": new[key]})
    for key in old.keys() & new.keys():
        _diff(f"{path}[{key}]", old[key], new[key], out)
    kept_old = [k for k in old if k in new]
    kept_new = [k for k in new if k in old]
    if kept_old != kept_new:
        out.append({"path": f"{path} order", "before": kept_old, "after": kept_new})


def _diff(path: str, before: Any, after: Any, out: list[Change]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            _diff(f"{path}.{key}" if path else key, before.get(key), after.get(key), out)
    elif isinstance(before, list) and isinstance(after, list):
        _diff_lists(path, before, after, out)
    else:
        out.append({"path": path, "before": before, "after": after})


def json_diff(before: Any, after: Any) -> list[Change]:
    """Each change as {"path", "before", "after"}; additions have before None, removals after None."""
    out: list[Change] = []
    _diff("", before, after, out)
    return sorted(out, key=lambda change: change["path"])


def record(db: Session, at: datetime, actor: str, action: str, subject: str,
           before: Any = None, after: Any = None, summary: str = "") -> RoutingAudit:
    changes = json_diff(before, after)
    entry = RoutingAudit(at=at, actor=actor, action=action, subject=subject,
                         summary=summary or f"{len(changes)} change(s)", changes=changes)
    db.add(entry)
    return entry


def recent(db: Session, limit: int = 100) -> list[RoutingAudit]:
    return list(db.scalars(select(RoutingAudit).order_by(RoutingAudit.id.desc()).limit(limit)))


def as_dict(entry: RoutingAudit) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action,
            "subject": entry.subject, "summary": entry.summary, "changes": entry.changes}
