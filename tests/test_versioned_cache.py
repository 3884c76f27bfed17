"""A request reads every cache's version counter in one round trip, and sees its own moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from config.shared_store import MemoryStore, Read
from config.versioned_cache import VersionedCache, bump, get_json_with_counters


class CountingStore(MemoryStore):
    """The in-process store, counting the reads that would each be a Redis round trip."""

    def __init__(self) -> None:
        super().__init__()
        self.round_trips = 0

    def get_json(self, key: str) -> Any | None:
        self.round_trips += 1
        return super().get_json(key)

    def many(self, reads: list[Read]) -> list[Any]:
        self.round_trips += 1
        with self._lock:
            return [MemoryStore.get_json(self, args[0]) if name == "get_json"
                    else getattr(MemoryStore, name)(self, *args) for name, args in reads]


def test_a_request_reads_the_counters_once_and_sees_its_own_bump() -> None:
    store, loads = CountingStore(), list[str]()
    rules: VersionedCache[str] = VersionedCache("t-rules", "t:rules:v")
    mode: VersionedCache[str] = VersionedCache("t-mode", "t:mode:v")

    def load(name: str) -> Callable[[], str]:
        def loaded() -> str:
            loads.append(name)
            return f"{name}{len(loads)}"
        return loaded

    with Flask(__name__).test_request_context():
        assert rules.get(store, load("rules")) == "rules1"
        assert mode.get(store, load("mode")) == "mode2"
        assert rules.get(store, load("rules")) == "rules1"
        assert store.round_trips == 1  # both counters (and any other cache's) at once
        bump(store, "t:rules:v")  # a publish in this request: it sees the new rules
        assert rules.get(store, load("rules")) == "rules3"
    with Flask(__name__).test_request_context():
        trips = store.round_trips
        assert (rules.get(store, load("rules")), mode.get(store, load("mode"))) == ("rules3", "mode2")
        assert store.round_trips == trips + 1
    store.incr("t:mode:v")  # another worker moves it: outside a request each read looks
    assert mode.get(store, load("mode")) == "mode4"


def test_a_value_read_with_the_counters_is_one_round_trip() -> None:
    """A webhook's call session read first brings the request's counters along (#16): the
    rules read after it costs no round trip; outside a request it is a plain read."""
    store, loads = CountingStore(), list[str]()
    rules: VersionedCache[str] = VersionedCache("t-along", "t:along:v")
    store.set_json("call:CA1", {"call_sid": "CA1"})
    store.incr("t:along:v")

    def load() -> str:
        loads.append("rules")
        return "rules"

    with Flask(__name__).test_request_context():
        assert get_json_with_counters(store, "call:CA1") == {"call_sid": "CA1"}
        assert rules.get(store, load) == "rules"
        assert store.round_trips == 1
        assert get_json_with_counters(store, "call:CA2") is None  # counters held: a plain read
        assert store.round_trips == 2
        bump(store, "t:along:v")  # moved in this request: read afresh with the next value
        assert get_json_with_counters(store, "call:CA1") == {"call_sid": "CA1"}
        assert store.round_trips == 3
        assert rules.get(store, load) == "rules" and loads == ["rules", "rules"]
    trips = store.round_trips
    assert get_json_with_counters(store, "call:CA1") == {"call_sid": "CA1"}
    assert rules.get(store, load) == "rules"
    assert store.round_trips == trips + 2
