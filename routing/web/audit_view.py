"""The audit log as people read it: each change by its path, and values too big for one line
as a line diff of their JSON (difflib), so an edited rule shows the two lines that changed
rather than two walls of JSON."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

INLINE_CHARS = 80  # values whose JSON fits on a line are shown before -> after


@dataclass(frozen=True)
class ShownChange:
    path: str
    what: str  # "added", "removed" or "changed"
    before: str | None  # one-line values
    after: str | None
    lines: list[tuple[str, str]]  # (" " | "-" | "+" | "@", text) for bigger values


def _json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent)


def _lines(before: Any, after: Any) -> list[tuple[str, str]]:
    old = _json(before, 2).splitlines() if before is not None else []
    new = _json(after, 2).splitlines() if after is not None else []
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old, new, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        out.append(("@", "…") if line.startswith("@@") else (line[0], line[1:]))
    return out[1:] if out and out[0][0] == "@" and len(old) <= 1 else out  # no gap before a whole value


def shown(change: dict[str, Any]) -> ShownChange:
    before, after = change.get("before"), change.get("after")
    what = "added" if before is None else "removed" if after is None else "changed"
    small = all(value is None or len(_json(value)) <= INLINE_CHARS for value in (before, after))
    if small:
        return ShownChange(change["path"], what, None if before is None else _json(before),
                           None if after is None else _json(after), [])
    return ShownChange(change["path"], what, None, None, _lines(before, after))
