"""The published rule set, compiled once per worker and reloaded when an admin publishes.

Like bulletins: publishing bumps a counter in the shared store; each call compares it with the
worker's copy (one store read) and reloads from the database only when it moved. A fresh
install seeds the default Ontario set on first use. If the database cannot be read the worker
keeps routing with what it has (or the built-in default): a caller is never left without a route.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.ontario import Deployment
from config.shared_store import SharedStore
from routing.default_rules import default_ruleset
from routing.overlay import overlay
from routing.ruleset import RuleSet, RuleSetInvalid, parse_ruleset
from routing.versions import VERSION_KEY, latest_version, seed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    number: int | None  # None: the built-in default, used only when the database failed
    ruleset: RuleSet
    deployment: Deployment
    live_queues: frozenset[str]  # providers whose live figures the rules read


def compile_published(number: int | None, rs: RuleSet, dep: Deployment) -> Published:
    queues = frozenset(q for rule in rs.rules if rule.enabled and (q := rule.live_queue()))
    return Published(number, rs, overlay(dep, rs), queues)


class RuleSetCache:
    def __init__(self) -> None:
        self._counter: Any = object()
        self._current: Published | None = None
        self._lock = threading.Lock()

    def current(self, store: SharedStore, makesession: sessionmaker[Session], dep: Deployment,
                at: datetime) -> Published:
        cached = self._current
        try:
            counter = store.get_json(VERSION_KEY)
        except Exception:  # the store is away: route with what this worker has
            if cached is not None:
                return cached
            counter = None
        if cached is not None and counter == self._counter:
            return cached
        with self._lock:
            try:
                self._current = self._load(store, makesession, dep, at)
                self._counter = counter
            except Exception:  # the database is down or the row is unreadable: keep routing
                log.exception("could not load the published rule set; routing with the last one")
                if self._current is None:
                    return compile_published(None, default_ruleset(), dep)
            return self._current

    @staticmethod
    def _load(store: SharedStore, makesession: sessionmaker[Session], dep: Deployment,
              at: datetime) -> Published:
        with makesession() as db:
            version = latest_version(db) or seed(db, store, at)
            try:
                rs = parse_ruleset(version.document)
            except RuleSetInvalid:
                log.exception("published version %s does not parse", version.number)
                raise
            return compile_published(version.number, rs, dep)
