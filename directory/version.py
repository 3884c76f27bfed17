"""The directory's version counter in the shared store: bumped by every import, so each
worker's in-memory search index knows to rebuild itself."""

from __future__ import annotations

from config.shared_store import SharedStore
from config.versioned_cache import bump as bump_counter

VERSION_KEY = "directory:version"


def current(store: SharedStore) -> int:
    value = store.get_json(VERSION_KEY)
    return int(value) if value is not None else 0


def bump(store: SharedStore) -> int:
    return bump_counter(store, VERSION_KEY)
