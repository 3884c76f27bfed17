"""The PostgreSQL search's candidates: score a few dozen services, not every match.

A broad query (a taxonomy name whose concept covers a third of the directory) matches tens
of thousands of services. Scoring each one in SQL (its tsvector detoasted, one `ts_rank` a
word) cost 150 to 700 ms at 56k, and the tiers of 0014 (a common word's services by the
field it is in) could not prove a top 20 for them: every service under the concept has the
concept's boost, so any could rank. Instead each match gets its score from the id postings
alone, with numpy, without reading a row:

- a word's rank is `ts_rank` of its positions, one a field (`search_sync.tsvector`), so it
  is a function of the set of fields it is in (`RANKS`, PostgreSQL's calc_rank_or), and the
  postings tell that set exactly (0014: name A, alternate or taxonomy name B, organization C;
  0015: alternate name, alternate and taxonomy names, description as well as another field);
- whether a query word is matched (the coverage factor) and which concept or code flags a
  service has are exact too.

`upper` is that score, a margin above (float4 in ts_rank, float8 here), so it bounds the
score SQL computes, and `upper / MARGIN**2` is below it. Without filters on the rows, the
`limit`-th highest bound so lowered is below the full query's `limit`-th score, so every
service that could rank has a bound reaching it (`reaching`). Services with the same fields
for every word and the same flags score exactly the same (the same `ts_rank` inputs): of a
group bigger than `limit`, only its first `limit` by the tie rule (folded name, then id)
can rank, read off the tie order's index (`first_of_groups`). SQL scores what is left (a few
dozen services): the full query's answer, same services, order and scores. With filters on
the rows (few matches), the best bounds are scored first; when their `limit`-th score is
above the best bound left out, that is the answer, else every match is scored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from directory.search_index import MAX_WEIGHT

FIELD_WEIGHTS = (0.6, 0.4, 0.4, 0.3, 0.12)  # name, alternate, taxonomy, organization, description
RANK_SCALE = 5 * 1.6449341  # `search_pg.RANK_SCALE`
MARGIN = 1.0 + 1e-5  # float4 rounding in ts_rank, float8 elsewhere: bounds a hair higher
FIRST = 100  # with filters on the rows: services scored first (at least twice the limit)
# Filters on more matches than this: the ids passing them taken first, to leave out of the
# bounds (for fewer, each candidate's row is read and filtered in the scoring).
FILTER_BY_IDS = 1500
UNION_X = "dir_search_union(x ORDER BY cardinality(x))"


def field_rank(fields: tuple[int, ...]) -> float:
    """`ts_rank(weights, 'tok':<fields>, 'tok')` scaled as `search_pg` scales it, for the
    token at one position a field (1 name ... 5 description): PostgreSQL's calc_rank_or."""
    if not fields:
        return 0.0
    weights = [FIELD_WEIGHTS[f - 1] for f in sorted(fields)]
    total = sum(w / (j + 1) ** 2 for j, w in enumerate(weights))
    best = max(weights)
    at = weights.index(best)
    rank = (best + total - best / (at + 1) ** 2) / 1.64493406685
    return min(rank * RANK_SCALE, MAX_WEIGHT)


def mask_fields(mask: int) -> tuple[int, ...]:
    """The fields (1 name ... 5 description) of a 5-bit mask (bit 0: name)."""
    return tuple(f for f in range(1, 6) if mask >> (f - 1) & 1)


# field mask -> the rank of a token in exactly those fields (0: not in the service)
RANKS = np.array([field_rank(mask_fields(mask)) for mask in range(32)], dtype=np.float64)
TOKEN_POSTINGS = ("docs", "docs_a", "docs_b", "docs_c", "docs_alt", "docs_alt_tax",
                  "docs_desc_too")


@dataclass
class Scored:
    """What the bound needs of a plan's scoring: each query word's candidates (token, its
    weight: IDF times closeness), and each code flag's codes and boost."""

    terms: list[list[tuple[str, float]]]
    flags: dict[str, tuple[list[str], float]]
    spans: dict[str, list[int]]  # a concept's flag -> the query words it covers


def array_literal(values: np.ndarray) -> str:
    """An int[] or boolean[] parameter as its text (a few thousand values: psycopg adapts a
    list of Python ints value by value, twice as slow)."""
    if values.dtype == bool:
        return "{" + ",".join("t" if v else "f" for v in values.tolist()) + "}"
    return "{" + ",".join(map(str, values.tolist())) + "}"


def ids_of(raw: bytes | None) -> np.ndarray:
    """An int4[] in PostgreSQL's binary form (`array_send`): header, then (length, value)."""
    if not raw or int.from_bytes(raw[:4], "big") == 0:
        return np.zeros(0, dtype=np.int64)
    return np.frombuffer(raw, dtype=">i4", offset=20)[1::2].astype(np.int64)


@dataclass
class Bounds:
    """Every match of a query (sorted ids), an upper bound of its score, its flags (exact),
    and each token's fields in it (a 5-bit mask a token: equal masks and flags, equal scores)."""

    ids: np.ndarray
    upper: np.ndarray
    flags: dict[str, np.ndarray] = field(default_factory=dict)  # flag -> bool per id
    masks: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint8))

    def keep(self, passing: np.ndarray) -> Bounds:
        """The matches among `passing` (sorted ids, any superset of them: both sorted, so a
        binary search each, not a sort of both as `np.isin`)."""
        at = np.searchsorted(passing, self.ids)
        mask = np.zeros(len(self.ids), dtype=bool)
        inside = at < len(passing)
        mask[inside] = passing[at[inside]] == self.ids[inside]
        return Bounds(self.ids[mask], self.upper[mask],
                      {f: v[mask] for f, v in self.flags.items()}, self.masks[mask])

    def order(self) -> np.ndarray:
        """Positions by falling bound, then id (a stable order)."""
        return np.lexsort((self.ids, -self.upper))

    def groups(self, positions: np.ndarray) -> np.ndarray:
        """A group number for each of these services: the same for services whose scores are
        the same (the same fields for every token, the same flags)."""
        keys = np.column_stack([self.masks[positions],
                                *(v[positions].astype(np.uint8) for v in self.flags.values())])
        if keys.shape[1] == 0:
            return np.zeros(len(positions), dtype=np.int64)
        rows = np.ascontiguousarray(keys).view(np.dtype((np.void, keys.shape[1]))).reshape(-1)
        _unique, inverse = np.unique(rows, return_inverse=True)
        return np.asarray(inverse, dtype=np.int64).reshape(-1)


def _binary_rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows in PostgreSQL's binary format (the postings' bytes as they are, no hex)."""
    raw = conn.connection.driver_connection  # psycopg's, in this connection's transaction
    assert raw is not None
    with raw.cursor(binary=True) as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def dense_mask(docs: list[np.ndarray]) -> np.ndarray:
    """A token's fields in each service, by id (a 5-bit mask; 0: not in it), from its
    postings (`TOKEN_POSTINGS`: all, A, B, C, alternate, alternate and taxonomy, description
    as well as another field)."""
    every, in_a, in_b, in_c, alt_ids, alt_tax_ids, desc_too = docs
    top = int(every[-1]) + 1 if len(every) else 0
    mask = np.zeros(top, dtype=np.uint8)
    b, alt, alt_tax = (np.zeros(top, dtype=bool) for _ in range(3))
    b[in_b], alt[alt_ids], alt_tax[alt_tax_ids] = True, True, True
    mask[in_a] |= 1
    mask |= alt.astype(np.uint8) * 2
    mask |= (b & (~alt | alt_tax)).astype(np.uint8) * 4
    mask[in_c] |= 8
    only_desc = np.zeros(top, dtype=bool)
    only_desc[every] = True
    only_desc &= mask == 0  # in none of the other fields: in the description
    mask |= only_desc.astype(np.uint8) * 16
    mask[desc_too] |= 16
    return mask


class PostingCache:
    """The big postings a worker has read, each with its row's version (`xmin`), so a search
    reads them again only when an import has changed that row (any worker's import: the
    version is the database's, checked by every search). At most `budget` bytes, the least
    recently used dropped first; a posting under `smallest` bytes is not kept (it costs
    little to read)."""

    def __init__(self, budget: int = 128 * 2**20, smallest: int = 32 * 2**10) -> None:
        self.budget, self.smallest, self.size = budget, smallest, 0
        self.items: OrderedDict[tuple[str, str], tuple[str, np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()  # a worker's threads share it

    def held(self, kind: str, keys: list[str]) -> dict[str, tuple[str, np.ndarray]]:
        """The versions and values held of these keys (a snapshot: a search meanwhile
        dropping one does not take it from this search)."""
        with self.lock:
            found = {k: self.items[(kind, k)] for k in keys if (kind, k) in self.items}
            for key in found:
                self.items.move_to_end((kind, key))
        return found

    def put(self, kind: str, key: str, version: str, value: np.ndarray, read: int) -> None:
        if read < self.smallest or value.nbytes > self.budget:
            return
        with self.lock:
            old = self.items.pop((kind, key), None)
            if old is not None:
                self.size -= old[1].nbytes
            self.items[(kind, key)] = (version, value)
            self.size += value.nbytes
            while self.size > self.budget:
                _key, (_version, dropped) = self.items.popitem(last=False)
                self.size -= dropped.nbytes


def _read(conn: Connection, tokens: list[str], codes: list[str],
          cache: PostingCache) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each token's fields by id (`dense_mask`) and each code's ids, from the cache when the
    row's version is the one held, else read (one round trip for all)."""
    columns = ", ".join(f"CASE WHEN k.x IS NULL THEN array_send(t.{c}) END" for c in TOKEN_POSTINGS)
    nothing = ", ".join(["NULL::bytea"] * (len(TOKEN_POSTINGS) - 1))
    held = {"t": cache.held("t", tokens), "c": cache.held("c", codes)}
    rows = _binary_rows(conn, (
        f"SELECT 't', t.term, t.xmin::text, {columns} FROM dir_search_terms t "  # noqa: S608 - constants
        "LEFT JOIN unnest(%(ht)s::text[], %(htx)s::text[]) AS k(key, x) "
        "ON k.key = t.term AND k.x = t.xmin::text WHERE t.term = ANY(%(t)s) UNION ALL "
        "SELECT 'c', t.code, t.xmin::text, CASE WHEN k.x IS NULL THEN array_send(t.docs) END, "
        f"{nothing} FROM dir_search_codes t LEFT JOIN unnest(%(hc)s::text[], %(hcx)s::text[]) "
        "AS k(key, x) ON k.key = t.code AND k.x = t.xmin::text WHERE t.code = ANY(%(c)s)"),
        {"t": tokens, "c": codes, "ht": list(held["t"]), "htx": [v for v, _a in held["t"].values()],
         "hc": list(held["c"]), "hcx": [v for v, _a in held["c"].values()]})
    masks: dict[str, np.ndarray] = {}
    by_code: dict[str, np.ndarray] = {}
    for kind, key, version, *arrays in rows:
        if arrays[0] is None:
            value = held[kind][key][1]
        else:
            read = sum(len(a) for a in arrays if a)
            value = (packed(dense_mask([ids_of(a) for a in arrays])) if kind == "t"
                     else ids_of(arrays[0]).astype(np.int32))
            cache.put(kind, key, version, value, read)
        if kind == "t":
            masks[key] = unpacked(value)
        else:
            by_code[key] = value
    return masks, by_code


def packed(mask: np.ndarray) -> np.ndarray:
    """A token's fields by id as kept: one byte a service (`dense_mask`), or, when it is in
    fewer than a quarter of them, (id << 5 | fields) for each service it is in."""
    ids = np.flatnonzero(mask)
    if 4 * len(ids) >= len(mask):
        return mask
    return (ids.astype(np.uint32) << 5) | mask[ids].astype(np.uint32)


def unpacked(value: np.ndarray) -> np.ndarray:
    if value.dtype == np.uint8:
        return value
    ids = (value >> 5).astype(np.int64)
    mask = np.zeros(int(ids[-1]) + 1 if len(ids) else 0, dtype=np.uint8)
    mask[ids] = (value & 31).astype(np.uint8)
    return mask


def _at(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """values[ids], 0 past its end (a posting ends at its last service)."""
    out = np.zeros(len(ids), dtype=values.dtype)
    inside = ids < len(values)
    out[inside] = values[ids[inside]]
    return out


def fetch(conn: Connection, scored: Scored, cache: PostingCache | None = None) -> Bounds:
    """The matches and their scores' bounds, from the words' and codes' postings."""
    tokens = sorted({t for term in scored.terms for t, _w in term})
    codes = sorted({c for codes, _b in scored.flags.values() for c in codes})
    dense, by_code = _read(conn, tokens, codes, cache or PostingCache(budget=0))
    top = max([len(m) for m in dense.values()]
              + [int(ids[-1]) + 1 for ids in by_code.values() if len(ids)] + [0])
    seen = np.zeros(top, dtype=bool)
    for mask in dense.values():
        seen[:len(mask)] |= mask > 0
    for ids in by_code.values():
        seen[ids] = True
    universe = np.flatnonzero(seen)
    count = len(universe)
    flags: dict[str, np.ndarray] = {}
    fixed = np.zeros(count)
    for f, (flag_codes, boost) in scored.flags.items():
        has = np.zeros(top, dtype=bool)
        for code in flag_codes:
            if code in by_code:
                has[by_code[code]] = True
        flags[f] = has[universe]
        fixed += boost * flags[f]
    order = sorted(dense)
    masks = (np.column_stack([_at(dense[t], universe) for t in order]) if order
             else np.zeros((count, 0), dtype=np.uint8))
    if not scored.terms:
        return Bounds(universe, fixed * MARGIN, flags, masks)
    ranks = {t: RANKS[masks[:, n]] for n, t in enumerate(order)}
    words = np.zeros(count)
    covered = np.zeros(count)
    for index, term in enumerate(scored.terms):
        best = np.zeros(count)
        for token, weight in term:
            if token in ranks:
                best = np.maximum(best, ranks[token] * weight)
        cover = best > 0
        for f, span in scored.spans.items():
            if index in span:
                cover = cover | flags[f]
        words += best
        covered += cover
    upper = (fixed + words) * (0.4 + 0.6 * covered / len(scored.terms))
    return Bounds(universe, upper * MARGIN, flags, masks)


@dataclass
class Pick:
    """A set of candidates to score: positions in the bounds, and the best bound left out."""

    positions: np.ndarray
    outside: float
    complete: bool


def first(bounds: Bounds, order: np.ndarray, limit: int, size: int = FIRST) -> Pick:
    take = max(size, 2 * limit)
    if take >= len(order):
        return Pick(order, 0.0, True)
    return Pick(order[:take], float(bounds.upper[order[take]]), False)


def kth_lower(bounds: Bounds, limit: int) -> float:
    """At most the full query's `limit`-th score: the `limit`-th highest bound, taken down
    by the margin twice (a bound is the score, as PostgreSQL computes it, to the margin)."""
    if len(bounds.upper) <= limit:
        return 0.0
    at = len(bounds.upper) - limit
    return float(np.partition(bounds.upper, at)[at]) / MARGIN ** 2


def reaching(bounds: Bounds, kth: float) -> Pick:
    """Every service whose bound reaches `kth`: every one that could score it or more."""
    return Pick(np.flatnonzero(bounds.upper >= kth), 0.0, True)


def first_of_groups(conn: Connection, bounds: Bounds, pick: Pick, limit: int) -> Pick:
    """Of each group of equal scores (`Bounds.groups`) in `pick`, the first `limit` by the tie
    rule (folded name, then id): a later one has `limit` services of its score before it.
    Each crowded group's first are read off the tie order's index (`ix_dir_search_docs_order`),
    which stops after `limit` of them: no row of the group is read."""
    groups = bounds.groups(pick.positions)
    sizes = np.bincount(groups)
    crowded = sizes[groups] > limit
    if not crowded.any():
        return pick
    kept = [pick.positions[~crowded]]
    for group in np.flatnonzero(sizes > limit):
        members = pick.positions[groups == group]
        first = [i for (i,) in _binary_rows(conn, (
            "SELECT service_id FROM dir_search_docs WHERE service_id = ANY(%(ids)s::int4[]) "
            "ORDER BY sort_name, service_id LIMIT %(limit)s"),
            {"ids": array_literal(bounds.ids[members]), "limit": limit})]
        kept.append(members[np.isin(bounds.ids[members], first)])
    return Pick(np.concatenate(kept), pick.outside, pick.complete)


def everything(bounds: Bounds) -> Pick:
    return Pick(np.arange(len(bounds.ids)), 0.0, True)


def candidates_sql(bounds: Bounds, pick: Pick, where: list[str], flags: list[str],
                   scored_select: str) -> tuple[str, dict[str, Any]]:
    """The scoring SELECT over the picked services that pass the filters (`m`: each one's
    tsvector, detoasted once, and its flags, known from the codes' postings)."""
    positions = np.sort(pick.positions)
    params: dict[str, Any] = {"cand_ids": array_literal(bounds.ids[positions])}
    arrays = ["CAST(:cand_ids AS int[])"]
    for f in flags:
        params[f"{f}_has"] = array_literal(bounds.flags[f][positions])
        arrays.append(f"CAST(:{f}_has AS boolean[])")
    columns = "".join(f", c.{f}" for f in flags)
    sql = (f"WITH m AS MATERIALIZED (SELECT d.service_id, d.sort_name, "  # noqa: S608 - constants
           f"d.body || ''::tsvector AS b{columns} FROM unnest({', '.join(arrays)}) "
           f"AS c(service_id{''.join(', ' + f for f in flags)}) "
           f"JOIN dir_search_docs d ON d.service_id = c.service_id"
           f"{' WHERE ' + ' AND '.join(where) if where else ''}) {scored_select}")
    return sql, params


def passing(where: list[str]) -> str:
    """The ids of the services that pass the filters, sorted (an index-only scan for a
    region), to intersect with a union of postings."""
    return ("(SELECT COALESCE(array_agg(d.service_id ORDER BY d.service_id), '{}') "  # noqa: S608 - constants
            f"FROM dir_search_docs d WHERE {' AND '.join(where)})")


MATCHES = (f"SELECT {UNION_X} FROM (SELECT docs AS x FROM dir_search_terms "  # noqa: S608
           "WHERE term = ANY(CAST(:all_terms AS text[])) UNION ALL SELECT docs FROM "
           "dir_search_codes WHERE code = ANY(CAST(:all_codes AS text[]))) u")


REGION_IDS = ("SELECT array_send(COALESCE(array_agg(d.service_id), '{}')) "
              "FROM dir_search_docs d WHERE d.region = :region")


def region_ids(conn: Connection, params: dict[str, Any]) -> np.ndarray:
    """A region's services' ids, sorted, off the region's index (an index-only scan): for a
    region alone, intersected with the matches in numpy (`Bounds.keep`), whose postings are
    in hand, where `passing_matches_sql` unions the matches' postings again in SQL (at 1M a
    common word's posting is 580,000 ids: 70 ms for the statement). Sorted here, not by
    `array_agg(... ORDER BY)`, whose sort of a big region spills to disk (at 1M, 267,000
    ids: 87 ms against 61); the index gives them in order, so the check is all it costs."""
    ids = ids_of(conn.scalar(text(REGION_IDS), params))
    return ids if bool(np.all(ids[1:] > ids[:-1])) else np.unique(ids)


def passing_matches_sql(where: list[str]) -> str:
    """The matches that pass the filters, as a binary int4[] (`ids_of`)."""
    return f"SELECT array_send(COALESCE(({MATCHES}) & {passing(where)}, '{{}}'))"


def count_sql(where: list[str]) -> str:
    """How many matches pass the filters, their rows read (for a few matches)."""
    return (f"SELECT count(*) FROM unnest(({MATCHES})) AS c(service_id) JOIN dir_search_docs d "  # noqa: S608 - constants
            f"ON d.service_id = c.service_id WHERE {' AND '.join(where)}")

