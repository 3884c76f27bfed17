"""The PostgreSQL search's candidates: score a few hundred services, not every match.

A broad query ("mental health", a taxonomy name) matches half the directory, and scoring
every match in SQL cost 0.4 s at 56k services. Instead a search first scores only its
candidates: every service of a rare word or code (at most `RARE_DOCS`), and of a common
word only those with it in its name (tier A), then also in an alternate or taxonomy name
(B), then in an organization (C). A service outside the candidates has no common word
above the tier taken, so its score is at most `bound` (each query word's best candidate at
the tier's cap, plus the common codes' boosts, at full coverage). When the candidates'
`limit`-th score is above that bound, no service outside them could rank, not even tie,
so their top `limit` is the full query's: the same services, order and scores.

The candidates are a union of sorted id arrays (`dir_search_terms.docs_a` ..., migration
0014) with `intarray`, and so is the count of matches (`total`), without reading a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A word's rank (ts_rank scaled, `search_pg.RANK_SCALE`) by the best field it is in:
# name 3.0 to 3.84, alternate or taxonomy name 2.0 to 2.70, organization 1.5 to 1.65,
# description 0.6. TIER_CAPS[level] bounds a service outside the first `level` tiers.
TIER_CAPS = (3.85, 2.71, 1.66, 0.61, 0.0)
COMPLETE = 4  # every service of the word
TIER_COLUMNS = ("docs_a", "docs_b", "docs_c")
RARE_DOCS = 300  # a word or code of at most this many services: take them all
MAX_CANDIDATES = 3000  # more than this: score every match (as before the tiers)
FIRST = 800  # services in the first candidate set
MIN_SHARE = 0.05  # a filter is not counted on to pass fewer than this share of candidates
# Filters on more candidates than this: the ids passing them taken first, to intersect with
# the candidates (for fewer, each candidate's row is read and filtered).
FILTER_BY_IDS = 1500
# The union of id arrays, smallest first: a big array merged last, not copied at each step
# (the 118 codes of two concepts after 26,000 ids: 27 ms; smallest first: 2.6 ms).
UNION_X = "dir_search_union(x ORDER BY cardinality(x))"
MARGIN = 1.0 + 1e-6  # float rounding between PostgreSQL's arithmetic and ours


@dataclass
class Scored:
    """What the bound needs of a plan's scoring: each query word's candidates (token, its
    weight: IDF times closeness), and each code flag's codes and boost."""

    terms: list[list[tuple[str, float]]]
    flags: dict[str, tuple[list[str], float]]
    spans: dict[str, list[int]]  # a concept's flag -> the query words it covers


@dataclass
class Step:
    levels: dict[str, int]  # token -> tiers taken (COMPLETE: all its services)
    codes: list[str]  # codes whose services are all taken
    bound: float  # the best score a service outside the candidates can have
    estimate: int  # at most this many candidates
    complete: bool = False  # the candidates are every match


class Candidates:
    """Candidate sets of growing size and falling bound, each one holding the last.

    Rare words and codes are taken whole at once. Then, greedily, the move that lowers the
    bound most per service it adds: a common word's next tier, or a common code's services.
    The first set is about `FIRST` services; its `limit`-th score is at most the full
    query's, so the next set is the first whose bound is below it (taken for certain), or
    none when that needs more than `MAX_CANDIDATES` (then every match is scored)."""

    def __init__(self, scored: Scored, sizes: dict[str, tuple[int, int, int, int]],
                 code_counts: dict[str, int], limit: int, share: float = 1.0) -> None:
        """`share`: about this share of the services pass the filters (a region's), so
        about that share of the candidates are read; sets are sized by what is read."""
        self.scored, self.sizes, self.limit = scored, sizes, limit
        scale = 1.0 / min(max(share, MIN_SHARE), 1.0)
        self.most, self.first_size = int(MAX_CANDIDATES * scale), int(FIRST * scale)
        self.flag_docs = {f: sum(code_counts.get(c, 0) for c in codes)
                          for f, (codes, _b) in scored.flags.items()}
        tokens = sorted({t for term in scored.terms for t, _w in term})
        self.levels = {t: COMPLETE if self._size(t, COMPLETE) <= RARE_DOCS else 0 for t in tokens}
        self.taken = {f for f, n in self.flag_docs.items() if n <= RARE_DOCS}

    def _size(self, token: str, level: int) -> int:
        size = self.sizes.get(token, (0, 0, 0, 0))
        return size[3] if level == COMPLETE else sum(size[:level])

    def bound(self, levels: dict[str, int], taken: set[str]) -> float:
        """The best score outside the set: its words at their tiers' caps, the codes not
        taken, times the coverage of the query words it can still match (none of a word
        whose candidates, and concepts over it, are all taken)."""
        terms = self.scored.terms
        flags = sum(b for f, (_c, b) in self.scored.flags.items() if f not in taken)
        words = sum(max((TIER_CAPS[levels[t]] * w for t, w in term), default=0.0) for term in terms)
        if not terms:
            return MARGIN * flags
        open_words = sum(1 for index, term in enumerate(terms)
                         if any(levels[t] < COMPLETE for t, _w in term)
                         or any(index in span for f, span in self.scored.spans.items()
                                if f not in taken))
        return MARGIN * (flags + words) * (0.4 + 0.6 * open_words / len(terms))

    def estimate(self) -> int:
        return (sum(self._size(t, n) for t, n in self.levels.items())
                + sum(self.flag_docs[f] for f in self.taken))

    def step(self) -> Step:
        codes = sorted({c for f in self.taken for c in self.scored.flags[f][0]})
        complete = (all(n == COMPLETE for n in self.levels.values())
                    and len(self.taken) == len(self.scored.flags))
        return Step(dict(self.levels), codes, self.bound(self.levels, self.taken),
                    self.estimate(), complete)

    def _move(self) -> bool:
        """Make the best move (bound lowered per service added) that keeps the set within
        `MAX_CANDIDATES`; False when none lowers the bound."""
        now, room = self.bound(self.levels, self.taken), self.most - self.estimate()
        best: tuple[float, str, str] | None = None
        for token, level in self.levels.items():
            cost = self._size(token, level + 1) - self._size(token, level) if level < COMPLETE else 0
            if level < COMPLETE and cost <= room:
                after = self.bound({**self.levels, token: level + 1}, self.taken)
                gain = (now - after) / max(cost, 1)
                if now > after and (best is None or gain > best[0]):
                    best = (gain, "token", token)
        for flag in self.scored.flags:
            if flag not in self.taken and self.flag_docs[flag] <= room:
                after = self.bound(self.levels, self.taken | {flag})
                gain = (now - after) / max(self.flag_docs[flag], 1)
                if now > after and (best is None or gain > best[0]):
                    best = (gain, "flag", flag)
        if best is None:
            return False
        if best[1] == "token":
            self.levels[best[2]] += 1
        else:
            self.taken.add(best[2])
        return True

    def every_match(self) -> Step:
        """The set of every match: the full query."""
        return Step({t: COMPLETE for t in self.levels}, sorted({
            c for codes, _b in self.scored.flags.values() for c in codes}), 0.0, 0, True)

    def first(self) -> Step | None:
        while self.estimate() < max(self.first_size, self.limit) and self._move():
            pass
        return self.step() if self.estimate() <= self.most else None

    def next(self, kth: float | None) -> Step | None:
        """The next set: its bound below `kth` (the last set's `limit`-th score), or twice
        as big when the last set had fewer than `limit` services."""
        goal = 2 * self.estimate()
        while (self.bound(self.levels, self.taken) >= kth if kth is not None
               else self.estimate() < goal):
            if not self._move():
                return None
        return self.step()


def passing(where: list[str]) -> str:
    """The ids of the services that pass the filters, sorted (an index-only scan for a
    region), to intersect with a union of postings."""
    return ("(SELECT COALESCE(array_agg(d.service_id ORDER BY d.service_id), '{}') "  # noqa: S608 - constants
            f"FROM dir_search_docs d WHERE {' AND '.join(where)})")


def candidates_sql(step: Step, where: list[str], flags: list[str],
                   scored_select: str) -> tuple[str, dict[str, Any]]:
    """The scoring SELECT over the step's candidates that pass the filters (`m`: each one's
    tsvector, detoasted once, and whether it has a code of each flag, from the codes'
    postings intersected with the candidates: no row's codes compared one by one)."""
    params: dict[str, Any] = {"cand_codes": step.codes}
    parts = []
    for number, column in enumerate(TIER_COLUMNS, 1):
        params[f"tier{number}"] = sorted(t for t, n in step.levels.items() if number <= n < COMPLETE)
        parts.append(f"SELECT {column} AS x FROM dir_search_terms "  # noqa: S608 - constants
                     f"WHERE term = ANY(CAST(:tier{number} AS text[]))")
    params["tier_all"] = sorted(t for t, n in step.levels.items() if n == COMPLETE)
    parts.append("SELECT docs FROM dir_search_terms WHERE term = ANY(CAST(:tier_all AS text[]))")
    parts.append("SELECT docs FROM dir_search_codes WHERE code = ANY(CAST(:cand_codes AS text[]))")
    intersect = bool(where) and step.estimate > FILTER_BY_IDS
    union = f"{UNION_X}" + (f" & {passing(where)}" if intersect else "")
    ctes = [f"u AS (SELECT {union} AS ids FROM ({' UNION ALL '.join(parts)}) p)"]  # noqa: S608
    ctes += [f"{f}_ids AS (SELECT unnest(u.ids & (SELECT dir_search_union(docs ORDER BY cardinality(docs)) "  # noqa: S608 - constants
             f"FROM dir_search_codes WHERE code = ANY(CAST(:{f} AS text[])))) AS service_id FROM u)"
             for f in flags]
    columns = "".join(f", {f}_ids.service_id IS NOT NULL AS {f}" for f in flags)
    joins = "".join(f" LEFT JOIN {f}_ids ON {f}_ids.service_id = d.service_id" for f in flags)
    sql = (f"WITH {', '.join(ctes)}, m AS MATERIALIZED (SELECT d.service_id, d.sort_name, "  # noqa: S608 - constants
           f"d.body || ''::tsvector AS b{columns} FROM u CROSS JOIN unnest(u.ids) AS c(service_id) "
           f"JOIN dir_search_docs d ON d.service_id = c.service_id{joins}"
           f"{' WHERE ' + ' AND '.join(where) if where and not intersect else ''}) {scored_select}")
    return sql, params


MATCHES = (f"SELECT {UNION_X} FROM (SELECT docs AS x FROM dir_search_terms "  # noqa: S608
           "WHERE term = ANY(CAST(:all_terms AS text[])) UNION ALL SELECT docs FROM "
           "dir_search_codes WHERE code = ANY(CAST(:all_codes AS text[]))) u")


def total_sql(where: list[str], estimate: int) -> str:
    """How many services match any of the query's words or codes (`all_terms`,
    `all_codes`; at most `estimate`) and pass the filters: the postings' union, counted
    without a row read (filtered: intersected with the ids passing, or for a few matches,
    their rows read)."""
    if not where:
        return f"SELECT icount(({MATCHES}))"
    if estimate > FILTER_BY_IDS:
        return f"SELECT icount(({MATCHES}) & {passing(where)})"
    return (f"SELECT count(*) FROM unnest(({MATCHES})) AS c(service_id) JOIN dir_search_docs d "  # noqa: S608 - constants
            f"ON d.service_id = c.service_id WHERE {' AND '.join(where)}")
