"""One worker's copy of a published thing, kept in step with its version counter.

The published rule set, the live bulletins and the directory's search index are each stored in
the database and announced by a counter in the shared store, bumped by whoever changes them.
Each worker holds one `VersionedCache` per thing, with one behaviour for all three:

- every read compares the counter with the one the held copy was loaded at; inside a request
  the first such read fetches every cache's counter in one store round trip and the request
  keeps them (a webhook asks for the rules', the disaster mode's and the bulletins' counters:
  one round trip, not three);
- a moved counter reloads under a lock, so concurrent requests load once, not once each;
- a failed reload (database or Redis down, an unreadable row) keeps serving the last good
  copy; with none yet, the caller's `fallback` (the built-in rules, no bulletins, an empty
  index) is served, not held, so the next read tries again;
- the store away: the held copy is served; with none, a load is tried anyway.

`background=True` (the search index, which takes seconds to build) answers from the held copy
while one thread rebuilds; only a worker holding nothing loads in line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import g, has_request_context

from config.shared_store import SharedStore

T = TypeVar("T")
log = logging.getLogger(__name__)
COUNTER_KEYS: set[str] = set()  # every cache's counter: a request reads them all at once


def _request_counters(store: SharedStore) -> dict[str, Any] | None:
    """This request's view of every counter, read once (None outside a request: a CLI
    command's or a thread's long-lived app context must see each move)."""
    if not has_request_context():
        return None
    seen = _seen(store)
    if seen is None:
        keys = sorted(COUNTER_KEYS)
        seen = _keep(store, keys, store.many([("get_json", (key,)) for key in keys]))
    return seen


def get_json_with_counters(store: SharedStore, key: str) -> Any | None:
    """`store.get_json(key)`; in a request that has not read the counters yet, they come
    in the same round trip and the request keeps them. A webhook reads its call's session
    first, then the rules or the disaster mode: one round trip for both, not two."""
    if not has_request_context() or _seen(store) is not None:
        return store.get_json(key)
    keys = sorted(COUNTER_KEYS)
    values = store.many([("get_json", (key,))] + [("get_json", (k,)) for k in keys])
    _keep(store, keys, values[1:])
    return values[0]


def _seen(store: SharedStore) -> dict[str, Any] | None:
    seen: tuple[int, dict[str, Any]] | None = g.get("version_counters")
    return seen[1] if seen is not None and seen[0] == id(store) else None


def _keep(store: SharedStore, keys: list[str], values: list[Any]) -> dict[str, Any]:
    counters = dict(zip(keys, values, strict=True))
    g.version_counters = (id(store), counters)
    return counters


@dataclass(frozen=True)
class Held(Generic[T]):
    counter: Any  # the counter's value when `value` was loaded (None: the store was away)
    value: T


def bump(store: SharedStore, counter_key: str) -> int:
    """Move a counter (every worker reloads before its next read), and forget the request's
    view of the counters: this request, too, sees the new version from here on."""
    if has_request_context():
        g.pop("version_counters", None)
    return store.incr(counter_key)


class VersionedCache(Generic[T]):
    def __init__(self, name: str, counter_key: str, background: bool = False) -> None:
        self.name = name
        self.counter_key = counter_key
        self._background = background
        self._held: Held[T] | None = None
        self._lock = threading.Lock()
        self._rebuilding = False
        COUNTER_KEYS.add(counter_key)

    @property
    def held(self) -> Held[T] | None:
        """What this worker holds now (None before the first good load)."""
        return self._held

    def counter(self, store: SharedStore) -> Any:
        seen = _request_counters(store)
        if seen is not None and self.counter_key in seen:
            return seen[self.counter_key]
        return store.get_json(self.counter_key)

    def get(self, store: SharedStore, load: Callable[[], T],
            fallback: Callable[[], T] | None = None) -> T:
        """The current value: the held copy while the counter has not moved, else reloaded.

        `load` reads the thing from the database; `fallback` answers (without being held)
        when nothing was ever loaded and `load` fails; without one the error is raised."""
        held = self._held
        try:
            counter = self.counter(store)
        except Exception as err:  # the store is away: what this worker has stands
            if held is not None:
                return held.value
            log.warning("%s: version counter unreadable (%s); loading anyway", self.name,
                        type(err).__name__)
            counter = None
        if held is not None and held.counter == counter:
            return held.value
        if self._background and held is not None:
            self._reload_in_background(counter, load)
            return held.value
        return self._reload(counter, load, fallback)

    def refresh(self, store: SharedStore, load: Callable[[], T],
                fallback: Callable[[], T] | None = None) -> T:
        """Load now at the current counter, whatever is held (the process that changed it,
        in the request that moved the counter: read afresh, not the request's view)."""
        counter = store.get_json(self.counter_key)
        seen = _request_counters(store) if has_request_context() else None
        if seen is not None:
            seen[self.counter_key] = counter
        return self._reload(counter, load, fallback, force=True)

    def _reload(self, counter: Any, load: Callable[[], T], fallback: Callable[[], T] | None,
                force: bool = False) -> T:
        with self._lock:
            held = self._held
            if not force and held is not None and held.counter == counter:
                return held.value  # another thread loaded it while this one waited
            try:
                value = load()
            except Exception as err:
                if held is not None:
                    log.warning("%s not reloaded (%s); serving the last good copy", self.name,
                                type(err).__name__)
                    return held.value
                if fallback is None:
                    raise
                log.warning("%s not loaded (%s); serving the fallback until it loads", self.name,
                            type(err).__name__)
                return fallback()
            self._held = Held(counter, value)
            return value

    def _reload_in_background(self, counter: Any, load: Callable[[], T]) -> None:
        with self._lock:
            if self._rebuilding:
                return
            self._rebuilding = True

        def run() -> None:
            try:
                self._reload(counter, load, None)
            except Exception:  # the held copy stands; the next read tries again
                log.exception("%s: background reload failed", self.name)
            finally:
                self._rebuilding = False

        threading.Thread(target=run, name=f"{self.name}-refresh", daemon=True).start()
