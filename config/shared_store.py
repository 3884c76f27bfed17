"""The hot state shared between workers: one small interface, two implementations.

`MemoryStore` keeps it in this process (the embedded default, one worker); `RedisStore`
keeps it in Redis (production, many workers or machines). Both honour the same contract,
which `tests/test_shared_store.py` runs against each. The primitives mirror Redis so the
Redis implementation is a thin, atomic pass-through; callers build meaning on top
(call sessions in `ivr.session`, queue figures in `routing.store.queue_figures`).

`batch()` gathers a webhook's independent writes and applies them together when the block
ends: one Redis round trip (MULTI/EXEC) instead of one per write, and never half applied.
`many()` is its counterpart for reads: several reads (and the range removals that tidy what
they read) in one round trip, answered together, as of one moment.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol, cast

import redis

from config.breaker import Breaker, DependencyDown

# A write as a batch records it: the command and its arguments, JSON values already encoded
# (so later changes to the caller's objects do not change what is written).
Write = tuple[str, tuple[Any, ...]]
# A read for `many()`: a read method's name and its arguments, e.g. ("zcard", ("q:north",)).
Read = tuple[str, tuple[Any, ...]]
# What `many()` takes: the reads, and the one write that tidies a sorted set before it is read.
MANY = frozenset({"get_json", "hgetall", "zrange", "zrank", "zcard", "lrange", "zremrangebyscore"})


class SharedStore(Protocol):
    def get_json(self, key: str) -> Any | None: ...
    def set_json(self, key: str, value: Any, ttl: int | None = None) -> None: ...
    def delete(self, *keys: str) -> None: ...
    def incr(self, key: str, amount: int = 1, ttl: int | None = None) -> int: ...
    def hset(self, key: str, mapping: dict[str, str], ttl: int | None = None) -> None: ...
    def hgetall(self, key: str) -> dict[str, str]: ...
    def hdel(self, key: str, *fields: str) -> None: ...
    def zadd(self, key: str, member: str, score: float) -> None: ...
    def zrem(self, key: str, member: str) -> bool: ...
    def zrange(self, key: str, start: int = 0, stop: int = -1) -> list[tuple[str, float]]: ...
    def zrank(self, key: str, member: str) -> int | None: ...
    def zcard(self, key: str) -> int: ...
    def zremrangebyscore(self, key: str, low: float, high: float) -> None: ...
    def rpush(self, key: str, value: Any, ttl: int | None = None, maxlen: int = 1000) -> int: ...
    def lrange(self, key: str, start: int = 0, stop: int = -1) -> list[Any]: ...
    def ping(self) -> bool: ...
    def batch(self) -> AbstractContextManager[SharedStore]: ...
    def many(self, reads: list[Read]) -> list[Any]: ...


class AppliesWrites(SharedStore, Protocol):
    def apply(self, writes: list[Write]) -> None: ...


class WriteBatch:
    """The store `batch()` yields: it records writes, which the store applies at the block's end.

    Only writes are accepted: a read here could not see the writes recorded before it, so
    reads (and `incr`, which answers a count) raise TypeError. `zrem` and `rpush` answer
    False / 0, since their results are known only once the batch is applied. The writes
    recorded before an exception are still applied, as they would have been one by one.
    """

    def __init__(self) -> None:
        self.writes: list[Write] = []

    def set_json(self, key: str, value: Any, ttl: int | None = None) -> None:
        self.writes.append(("set", (key, json.dumps(value), ttl)))

    def delete(self, *keys: str) -> None:
        self.writes.append(("delete", (keys,)))

    def hset(self, key: str, mapping: dict[str, str], ttl: int | None = None) -> None:
        self.writes.append(("hset", (key, {k: str(v) for k, v in mapping.items()}, ttl)))

    def hdel(self, key: str, *fields: str) -> None:
        self.writes.append(("hdel", (key, fields)))

    def zadd(self, key: str, member: str, score: float) -> None:
        self.writes.append(("zadd", (key, member, score)))

    def zrem(self, key: str, member: str) -> bool:
        self.writes.append(("zrem", (key, member)))
        return False

    def rpush(self, key: str, value: Any, ttl: int | None = None, maxlen: int = 1000) -> int:
        self.writes.append(("rpush", (key, json.dumps(value), ttl, maxlen)))
        return 0

    def zremrangebyscore(self, key: str, low: float, high: float) -> None:
        self.writes.append(("zremrangebyscore", (key, low, high)))

    def batch(self) -> AbstractContextManager[SharedStore]:
        return nullcontext(self)  # a batch inside a batch joins it

    @staticmethod
    def _refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("a store batch takes writes only; read from the store itself")

    get_json = incr = hgetall = zrange = zrank = zcard = lrange = ping = many = _refuse


def _check_many(reads: list[Read]) -> None:
    for name, _args in reads:
        if name not in MANY:
            raise TypeError(f"many() takes reads (and zremrangebyscore), not {name!r}")


@contextmanager
def _batched(apply: Callable[[list[Write]], None]) -> Iterator[SharedStore]:
    batch = WriteBatch()
    try:
        yield batch
    finally:
        if batch.writes:
            apply(batch.writes)


class MemoryStore:
    """In-process store with TTLs; a lock makes each call atomic across threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, Any] = {}
        self._expiry: dict[str, float] = {}
        self._lock = threading.RLock()
        self._clock = clock

    def _live(self, key: str) -> Any | None:
        deadline = self._expiry.get(key)
        if deadline is not None and deadline <= self._clock():
            self._data.pop(key, None)
            self._expiry.pop(key, None)
        return self._data.get(key)

    def _touch(self, key: str, ttl: int | None) -> None:
        if ttl:
            self._expiry[key] = self._clock() + ttl

    def get_json(self, key: str) -> Any | None:
        with self._lock:
            raw = self._live(key)
            return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._w_set(key, json.dumps(value), ttl)

    def _w_set(self, key: str, raw: str, ttl: int | None) -> None:
        with self._lock:
            self._data[key] = raw
            self._expiry.pop(key, None)
            self._touch(key, ttl)

    def delete(self, *keys: str) -> None:
        self._w_delete(keys)

    def _w_delete(self, keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)
                self._expiry.pop(key, None)

    def incr(self, key: str, amount: int = 1, ttl: int | None = None) -> int:
        with self._lock:
            current = self._live(key)
            value = (int(json.loads(current)) if current is not None else 0) + amount
            fresh = current is None
            self._data[key] = json.dumps(value)
            if fresh:
                self._touch(key, ttl)
            return value

    def hset(self, key: str, mapping: dict[str, str], ttl: int | None = None) -> None:
        self._w_hset(key, {k: str(v) for k, v in mapping.items()}, ttl)

    def _w_hset(self, key: str, mapping: dict[str, str], ttl: int | None) -> None:
        with self._lock:
            table = self._live(key) or {}
            table.update(mapping)
            self._data[key] = table
            self._touch(key, ttl)

    def hgetall(self, key: str) -> dict[str, str]:
        with self._lock:
            return dict(self._live(key) or {})

    def hdel(self, key: str, *fields: str) -> None:
        self._w_hdel(key, fields)

    def _w_hdel(self, key: str, fields: tuple[str, ...]) -> None:
        with self._lock:
            table = self._live(key) or {}
            for name in fields:
                table.pop(name, None)

    def _zset(self, key: str) -> list[tuple[float, str]]:
        zset = self._live(key)
        if zset is None:
            zset = self._data[key] = []
        return zset

    def zadd(self, key: str, member: str, score: float) -> None:
        self._w_zadd(key, member, score)

    def _w_zadd(self, key: str, member: str, score: float) -> None:
        with self._lock:
            zset = self._zset(key)
            zset[:] = [item for item in zset if item[1] != member]
            bisect.insort(zset, (score, member))

    def zrem(self, key: str, member: str) -> bool:
        return self._w_zrem(key, member)

    def _w_zrem(self, key: str, member: str) -> bool:
        with self._lock:
            zset = self._zset(key)
            before = len(zset)
            zset[:] = [item for item in zset if item[1] != member]
            return len(zset) != before

    def zrange(self, key: str, start: int = 0, stop: int = -1) -> list[tuple[str, float]]:
        with self._lock:
            zset = self._zset(key)
            end = None if stop == -1 else stop + 1
            return [(member, score) for score, member in zset[start:end]]

    def zrank(self, key: str, member: str) -> int | None:
        with self._lock:
            for index, (_score, name) in enumerate(self._zset(key)):
                if name == member:
                    return index
            return None

    def zcard(self, key: str) -> int:
        with self._lock:
            return len(self._zset(key))

    def zremrangebyscore(self, key: str, low: float, high: float) -> None:
        self._w_zremrangebyscore(key, low, high)

    def _w_zremrangebyscore(self, key: str, low: float, high: float) -> None:
        with self._lock:
            zset = self._zset(key)
            zset[:] = [item for item in zset if not low <= item[0] <= high]

    def rpush(self, key: str, value: Any, ttl: int | None = None, maxlen: int = 1000) -> int:
        return self._w_rpush(key, json.dumps(value), ttl, maxlen)

    def _w_rpush(self, key: str, raw: str, ttl: int | None, maxlen: int) -> int:
        with self._lock:
            items = self._live(key)
            if items is None:
                items = self._data[key] = []
            items.append(raw)
            del items[:-maxlen]
            self._touch(key, ttl)
            return len(items)

    def lrange(self, key: str, start: int = 0, stop: int = -1) -> list[Any]:
        with self._lock:
            items = self._live(key) or []
            end = None if stop == -1 else stop + 1
            return [json.loads(item) for item in items[start:end]]

    def ping(self) -> bool:
        return True

    def batch(self) -> AbstractContextManager[SharedStore]:
        return _batched(self.apply)

    def apply(self, writes: list[Write]) -> None:
        with self._lock:  # re-entrant: the writes' own locking nests; nobody sees half a batch
            for command, args in writes:
                getattr(self, f"_w_{command}")(*args)

    def many(self, reads: list[Read]) -> list[Any]:
        _check_many(reads)
        with self._lock:  # as of one moment, as Redis's MULTI/EXEC answers them
            return [getattr(self, name)(*args) for name, args in reads]


class RedisStore:
    """Redis-backed store; `namespace` keeps deployments (and parallel tests) apart."""

    def __init__(self, client: redis.Redis, namespace: str = "h211") -> None:
        self.client = client
        self.ns = namespace

    @classmethod
    def from_url(cls, url: str, namespace: str = "h211", timeout: float = 0.5) -> RedisStore:
        """Every command waits at most `timeout` for a connection and for an answer, so a
        paused or unreachable Redis costs a webhook half a second once, not for ever."""
        client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=timeout,
                                      socket_connect_timeout=timeout, retry_on_timeout=False,
                                      health_check_interval=30)
        return cls(client, namespace)

    def _k(self, key: str) -> str:
        return f"{self.ns}:{key}"

    def get_json(self, key: str) -> Any | None:
        raw = self.client.get(self._k(key))
        return None if raw is None else json.loads(str(raw))

    def set_json(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._w_set(self.client, key, json.dumps(value), ttl)

    def _w_set(self, target: Any, key: str, raw: str, ttl: int | None) -> None:
        target.set(self._k(key), raw, ex=ttl or None)

    def delete(self, *keys: str) -> None:
        self._w_delete(self.client, keys)

    def _w_delete(self, target: Any, keys: tuple[str, ...]) -> None:
        if keys:
            target.delete(*(self._k(k) for k in keys))

    def incr(self, key: str, amount: int = 1, ttl: int | None = None) -> int:
        pipe = self.client.pipeline()
        pipe.incrby(self._k(key), amount)
        if ttl:
            pipe.expire(self._k(key), ttl, nx=True)
        return int(pipe.execute()[0])

    def hset(self, key: str, mapping: dict[str, str], ttl: int | None = None) -> None:
        pipe = self.client.pipeline()
        self._w_hset(pipe, key, {k: str(v) for k, v in mapping.items()}, ttl)
        pipe.execute()

    def _w_hset(self, target: Any, key: str, mapping: dict[str, str], ttl: int | None) -> None:
        target.hset(self._k(key), mapping=mapping)
        if ttl:
            target.expire(self._k(key), ttl)

    def hgetall(self, key: str) -> dict[str, str]:
        return dict(self.client.hgetall(self._k(key)))  # type: ignore[arg-type]

    def hdel(self, key: str, *fields: str) -> None:
        self._w_hdel(self.client, key, fields)

    def _w_hdel(self, target: Any, key: str, fields: tuple[str, ...]) -> None:
        if fields:
            target.hdel(self._k(key), *fields)

    def zadd(self, key: str, member: str, score: float) -> None:
        self._w_zadd(self.client, key, member, score)

    def _w_zadd(self, target: Any, key: str, member: str, score: float) -> None:
        target.zadd(self._k(key), {member: score})

    def zrem(self, key: str, member: str) -> bool:
        return bool(self._w_zrem(self.client, key, member))

    def _w_zrem(self, target: Any, key: str, member: str) -> Any:
        return target.zrem(self._k(key), member)

    def zrange(self, key: str, start: int = 0, stop: int = -1) -> list[tuple[str, float]]:
        rows = self.client.zrange(self._k(key), start, stop, withscores=True)
        return [(str(member), float(score)) for member, score in rows]  # type: ignore[union-attr]

    def zrank(self, key: str, member: str) -> int | None:
        rank = self.client.zrank(self._k(key), member)
        return None if rank is None else int(rank)  # type: ignore[arg-type]

    def zcard(self, key: str) -> int:
        return int(self.client.zcard(self._k(key)))  # type: ignore[arg-type]

    def zremrangebyscore(self, key: str, low: float, high: float) -> None:
        self._w_zremrangebyscore(self.client, key, low, high)

    def _w_zremrangebyscore(self, target: Any, key: str, low: float, high: float) -> None:
        target.zremrangebyscore(self._k(key), low, high)

    def rpush(self, key: str, value: Any, ttl: int | None = None, maxlen: int = 1000) -> int:
        pipe = self.client.pipeline()
        self._w_rpush(pipe, key, json.dumps(value), ttl, maxlen)
        return int(pipe.execute()[0])

    def _w_rpush(self, target: Any, key: str, raw: str, ttl: int | None, maxlen: int) -> None:
        target.rpush(self._k(key), raw)
        target.ltrim(self._k(key), -maxlen, -1)
        if ttl:
            target.expire(self._k(key), ttl)

    def lrange(self, key: str, start: int = 0, stop: int = -1) -> list[Any]:
        return [json.loads(item) for item in self.client.lrange(self._k(key), start, stop)]  # type: ignore[union-attr]

    def ping(self) -> bool:
        return bool(self.client.ping())

    def batch(self) -> AbstractContextManager[SharedStore]:
        return _batched(self.apply)

    def apply(self, writes: list[Write]) -> None:
        """Every write of the batch in one MULTI/EXEC: one round trip, all or nothing."""
        pipe = self.client.pipeline(transaction=True)
        for command, args in writes:
            getattr(self, f"_w_{command}")(pipe, *args)
        pipe.execute()

    def many(self, reads: list[Read]) -> list[Any]:
        """The reads in one MULTI/EXEC: one round trip, each answered as its method would.
        Reads of values only are one MGET (as atomic, for a fraction of the work)."""
        _check_many(reads)
        if not reads:
            return []
        if all(name == "get_json" for name, _args in reads):
            raws = self.client.mget([self._k(args[0]) for _name, args in reads])
            return [self._a_get_json(raw) for raw in raws]  # type: ignore[union-attr]
        pipe = self.client.pipeline(transaction=True)
        for name, args in reads:
            getattr(self, f"_q_{name}")(pipe, *args)
        return [getattr(self, f"_a_{name}")(raw)
                for (name, _args), raw in zip(reads, pipe.execute(), strict=True)]

    # many()'s halves: each read queued on the pipeline (_q_), its reply decoded (_a_).
    def _q_get_json(self, pipe: Any, key: str) -> None:
        pipe.get(self._k(key))

    @staticmethod
    def _a_get_json(raw: Any) -> Any | None:
        return None if raw is None else json.loads(str(raw))

    def _q_hgetall(self, pipe: Any, key: str) -> None:
        pipe.hgetall(self._k(key))

    @staticmethod
    def _a_hgetall(raw: Any) -> dict[str, str]:
        return dict(raw)

    def _q_zrange(self, pipe: Any, key: str, start: int = 0, stop: int = -1) -> None:
        pipe.zrange(self._k(key), start, stop, withscores=True)

    @staticmethod
    def _a_zrange(raw: Any) -> list[tuple[str, float]]:
        return [(str(member), float(score)) for member, score in raw]

    def _q_zrank(self, pipe: Any, key: str, member: str) -> None:
        pipe.zrank(self._k(key), member)

    @staticmethod
    def _a_zrank(raw: Any) -> int | None:
        return None if raw is None else int(raw)

    def _q_zcard(self, pipe: Any, key: str) -> None:
        pipe.zcard(self._k(key))

    @staticmethod
    def _a_zcard(raw: Any) -> int:
        return int(raw)

    def _q_lrange(self, pipe: Any, key: str, start: int = 0, stop: int = -1) -> None:
        pipe.lrange(self._k(key), start, stop)

    @staticmethod
    def _a_lrange(raw: Any) -> list[Any]:
        return [json.loads(item) for item in raw]

    def _q_zremrangebyscore(self, pipe: Any, key: str, low: float, high: float) -> None:
        pipe.zremrangebyscore(self._k(key), low, high)

    @staticmethod
    def _a_zremrangebyscore(raw: Any) -> None:
        return None


class GuardedStore:
    """A Redis store behind the store's circuit breaker.

    While Redis answers, every call passes straight through. A Redis error (refused, reset,
    timed out) opens the breaker and becomes `DependencyDown`; while the breaker is open,
    calls raise `DependencyDown` at once, without waiting. Callers that can do without the
    store (the call flow) catch it and take their degraded path.
    """

    def __init__(self, inner: AppliesWrites, breaker: Breaker) -> None:
        self.inner = inner
        self.breaker = breaker
        self.client = getattr(inner, "client", None)
        self.ns = getattr(inner, "ns", None)

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        breaker = self.breaker
        if not breaker.allow():
            raise DependencyDown(f"{breaker.name} is down")
        try:
            result = method(*args, **kwargs)
        except redis.RedisError as err:
            breaker.failed(err)
            raise DependencyDown(f"{breaker.name} failed: {type(err).__name__}") from err
        if breaker.is_open:
            breaker.succeeded()
        return result

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if not callable(method) or name.startswith("_"):
            return method

        def guarded(*args: Any, **kwargs: Any) -> Any:
            return self._call(method, *args, **kwargs)

        guarded.__name__ = name
        return guarded

    def batch(self) -> AbstractContextManager[SharedStore]:
        return _batched(lambda writes: self._call(self.inner.apply, writes))


def make_store(redis_url: str | None, namespace: str = "h211", timeout: float = 0.5) -> SharedStore:
    return RedisStore.from_url(redis_url, namespace, timeout) if redis_url else MemoryStore()


def guard(store: SharedStore, breaker: Breaker) -> SharedStore:
    """The store the app uses: a Redis store behind its breaker; an in-process one as it is."""
    if isinstance(store, RedisStore):
        return cast(SharedStore, GuardedStore(store, breaker))
    return store
