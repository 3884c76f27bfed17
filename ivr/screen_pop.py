"""Screen pop: the call's context pushed to the specialist who just took it.

`/agent/connect` publishes; the specialist's lookup page reads the events (through the shared
store, so it works whichever worker serves the page).
"""

from __future__ import annotations

from typing import Any

from config.shared_store import SharedStore

EVENT_TTL_SECONDS = 3600


def channel(specialist_id: int) -> str:
    return f"screenpop:{specialist_id}"


def publish(store: SharedStore, specialist_id: int, event: dict[str, Any]) -> int:
    """Append an event to the specialist's channel; returns its sequence number (1-based)."""
    return store.rpush(channel(specialist_id), event, ttl=EVENT_TTL_SECONDS, maxlen=100)


def events_since(store: SharedStore, specialist_id: int, seen: int) -> list[dict[str, Any]]:
    """Events after the first `seen` ones (a client passes how many it already has)."""
    return store.lrange(channel(specialist_id), seen, -1)
