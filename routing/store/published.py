"""The published rule set, compiled once per worker and reloaded when an admin publishes.

Publishing bumps a counter in the shared store; each call compares it with the worker's copy
(one store read, `config.versioned_cache`, as for bulletins and the search index) and reloads
from the database only when it moved. A fresh install seeds the default Ontario set on first
use. If the database cannot be read the worker keeps routing with what it has (or the built-in
default): a caller is never left without a route.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from config.database import commit
from config.ontario import Deployment
from config.shared_store import SharedStore
from config.versioned_cache import VersionedCache
from routing.engine.default_rules import default_ruleset
from routing.engine.overlay import overlay
from routing.engine.ruleset import RuleSet, RuleSetInvalid, parse_ruleset
from routing.store.versions import VERSION_KEY, latest_version, rules_changed, seed

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


def rule_set_cache() -> VersionedCache[Published]:
    """The worker's published rule set, following the publish counter (`config.versioned_cache`)."""
    return VersionedCache("rule set", VERSION_KEY)


def current_published(cache: VersionedCache[Published], store: SharedStore,
                      makesession: sessionmaker[Session], dep: Deployment, at: datetime) -> Published:
    """The published set; the built-in default while none could ever be read."""
    return cache.get(store, lambda: load_published(store, makesession, dep, at),
                     fallback=lambda: compile_published(None, default_ruleset(), dep))


def load_published(store: SharedStore, makesession: sessionmaker[Session], dep: Deployment,
                   at: datetime) -> Published:
    """The latest version from the database (seeding the default on a fresh install)."""
    with makesession() as db:
        version = latest_version(db)
        if version is None:  # a fresh install: this load is the boundary that seeds
            version = seed(db, at)
            commit(db)
            rules_changed(store)
        try:
            rs = parse_ruleset(version.document)
        except RuleSetInvalid:
            log.exception("published version %s does not parse", version.number)
            raise
        return compile_published(version.number, rs, dep)
