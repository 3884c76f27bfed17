"""The same contract for both shared-store implementations: in-process and the real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from config.shared_store import MemoryStore, RedisStore, SharedStore


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["memory", "redis"])
def any_store(request: pytest.FixtureRequest) -> Iterator[tuple[SharedStore, FakeClock | None]]:
    if request.param == "memory":
        clock = FakeClock()
        yield MemoryStore(clock=clock), clock
        return
    url = request.getfixturevalue("redis_url")
    namespace = f"contract-{uuid.uuid4().hex}"
    store = RedisStore.from_url(url, namespace)
    yield store, None
    keys = list(store.client.scan_iter(f"{namespace}:*"))
    if keys:
        store.client.delete(*keys)


def test_json_round_trip_and_delete(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    assert store.get_json("k") is None
    store.set_json("k", {"a": [1, "é"], "b": None})
    assert store.get_json("k") == {"a": [1, "é"], "b": None}
    store.delete("k")
    assert store.get_json("k") is None


def test_ttl_expires(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, clock = any_store
    store.set_json("short", 1, ttl=1)
    assert store.get_json("short") == 1
    if clock is None:  # real Redis: check the TTL was set rather than sleeping
        assert isinstance(store, RedisStore)
        assert 0 < store.client.ttl(store._k("short")) <= 1
    else:
        clock.t += 2
        assert store.get_json("short") is None


def test_incr_counts_and_reads_back_as_json(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    assert store.incr("n") == 1
    assert store.incr("n", 5) == 6
    assert store.get_json("n") == 6


def test_hash(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    store.hset("h", {"a": "1", "b": "2"})
    store.hset("h", {"b": "3"})
    store.hdel("h", "a")
    assert store.hgetall("h") == {"b": "3"}


def test_sorted_set_orders_by_score(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    store.zadd("z", "late", 30)
    store.zadd("z", "early", 10)
    store.zadd("z", "mid", 20)
    store.zadd("z", "mid", 5)  # re-adding moves a member
    assert [m for m, _ in store.zrange("z")] == ["mid", "early", "late"]
    assert store.zrange("z", 0, 0) == [("mid", 5.0)]
    assert store.zrank("z", "late") == 2 and store.zrank("z", "ghost") is None
    assert store.zrem("z", "early") and not store.zrem("z", "early")
    assert store.zcard("z") == 2


def test_list_is_capped(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    for i in range(5):
        store.rpush("l", {"i": i}, maxlen=3)
    assert store.lrange("l") == [{"i": 2}, {"i": 3}, {"i": 4}]
    assert store.lrange("l", 1) == [{"i": 3}, {"i": 4}]


def test_ping(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    assert any_store[0].ping()


def test_batch_applies_its_writes_together_at_the_end(
        any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    store.set_json("gone", 1)
    store.zadd("z", "old", 1)
    value = {"step": 1}
    with store.batch() as batch:
        batch.set_json("k", value)
        value["step"] = 2  # the batch keeps what was written, not the object
        batch.zadd("z", "new", 2)
        batch.zrem("z", "old")
        batch.hset("h", {"a": "1", "b": "2"})
        batch.hdel("h", "a")
        for i in range(4):
            batch.rpush("l", {"i": i}, maxlen=3)
        batch.delete("gone")
        assert store.get_json("k") is None  # nothing is applied before the block ends
    assert store.get_json("k") == {"step": 1}
    assert store.zrange("z") == [("new", 2.0)]
    assert store.hgetall("h") == {"b": "2"}
    assert store.lrange("l") == [{"i": 1}, {"i": 2}, {"i": 3}]
    assert store.get_json("gone") is None


def test_batch_takes_writes_only_and_keeps_them_on_error(
        any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    with pytest.raises(TypeError), store.batch() as batch:
        batch.get_json("k")
    with pytest.raises(RuntimeError), store.batch() as batch:
        batch.set_json("before", True)
        with batch.batch() as inner:  # a nested batch joins the outer one
            inner.zadd("z", "m", 1)
        raise RuntimeError("the webhook failed after these writes")
    assert store.get_json("before") is True and store.zcard("z") == 1


def test_sorted_set_range_removal_by_score(any_store: tuple[SharedStore, FakeClock | None]) -> None:
    store, _ = any_store
    for name, score in (("a", 1), ("b", 5), ("c", 9)):
        store.zadd("z", name, score)
    store.zremrangebyscore("z", 0, 5)
    assert store.zrange("z") == [("c", 9.0)]
    with store.batch() as writes:
        writes.zremrangebyscore("z", 9, 9)
    assert store.zcard("z") == 0


def test_many_answers_each_read_as_its_method_does(
        any_store: tuple[SharedStore, FakeClock | None]) -> None:
    """`many()` (#16): several reads in one round trip, in order, tidied first when asked."""
    store, _ = any_store
    store.set_json("k", {"a": 1})
    store.hset("h", {"x": "1"})
    for name, score in (("a", 1), ("b", 5), ("c", 9)):
        store.zadd("z", name, score)
    store.rpush("l", 2.5)
    reads = [("get_json", ("k",)), ("get_json", ("none",)), ("hgetall", ("h",)),
             ("zremrangebyscore", ("z", 0, 1)), ("zrange", ("z",)), ("zrange", ("z", 0, 0)),
             ("zrank", ("z", "c")), ("zrank", ("z", "a")), ("zcard", ("z",)),
             ("lrange", ("l",)), ("lrange", ("empty",))]
    assert store.many(reads) == [{"a": 1}, None, {"x": "1"}, None, [("b", 5.0), ("c", 9.0)],
                                 [("b", 5.0)], 1, None, 2, [2.5], []]
    # values only (one MGET on Redis), and nothing at all (no round trip)
    assert store.many([("get_json", ("k",)), ("get_json", ("none",))]) == [{"a": 1}, None]
    assert store.many([]) == []
    with pytest.raises(TypeError):
        store.many([("set_json", ("k", 1))])
    with pytest.raises(TypeError), store.batch() as batch:
        batch.many([("get_json", ("k",))])
