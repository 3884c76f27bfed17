"""The default Ontario rule set (routing/engine/data/ontario_rules.json), published as version 1 on seed."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from routing.engine.ruleset import RuleSet, parse_ruleset

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "data" / "ontario_rules.json"


@lru_cache(maxsize=1)
def _default_text() -> str:
    return DEFAULT_RULES_PATH.read_text(encoding="utf-8")


def default_document() -> dict[str, Any]:
    """A fresh copy each time, so callers may edit it."""
    doc = json.loads(_default_text())
    doc.pop("source", None)
    return copy.deepcopy(doc)


@lru_cache(maxsize=1)
def default_ruleset() -> RuleSet:
    """The built-in set, compiled once: the route of last resort when the database is unreachable."""
    return parse_ruleset(default_document())
