"""The directory search on PostgreSQL (`SEARCH_ENGINE=postgres`): the memory index's behaviour
for a directory too big to hold in every worker (a province, a country).

A query is planned as the memory index plans it, with the same tokens, synonyms (the files'
and the admins'), French words and taxonomy concepts (`find_concepts`); typos are corrected
against the directory's own words with `pg_trgm` (trigram candidates, then rapidfuzz with the
memory index's cutoffs), the last word also completed as a prefix. The matches are counted
from the words' and codes' id postings (`intarray`), each match's score is bounded from them
(`directory.search_pg_bounds`), and SQL scores only the matches that could rank: per query
word the best candidate's `ts_rank` (field weights name
> alternate name and taxonomy > organization > description) times its IDF and closeness,
plus the concepts' boosts, times the share of query words covered, as in `SearchIndex.score`.
Filters are SQL on the same row; equal scores go by the folded name (byte order), then id,
the memory index's tie rule. What a worker holds is small (the vocabulary, the taxonomy's
codes and counts) and reloaded when the directory version moves, so an import or a synonyms
save is searched at once, on every worker, without a restart.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from directory import search_pg_bounds as bounded
from directory.search_index import (
    CONCEPT_WEIGHT,
    FIELDS,
    FUZZY_LIMIT,
    MAX_WEIGHT,
    PREFIX_SIM,
    TRANSLATION_SIM,
    Candidate,
    Filters,
    QueryPlan,
    code_matches,
    find_concepts,
    phrase_keys_by_length,
)
from directory.search_pg_bounds import Scored
from directory.text import QUERY_CODE, fold, stem, words
from directory.vocabulary import Vocabulary

# ts_rank's weights {D, C, B, A}: the memory index's field weights (0.6, 1.5, 2, 3) over 5
# (`search_pg_bounds.FIELD_WEIGHTS`); a single position ranks weight / 1.6449 (ts_rank's
# normalisation), hence the scale back (`search_pg_bounds.RANK_SCALE`).
RANK_WEIGHTS = "{0.12,0.3,0.4,0.6}"
RANK_SCALE = bounded.RANK_SCALE
TRIGRAM_THRESHOLD = "0.25"
TRIGRAM_CANDIDATES = 60
CACHE_LIMIT = 50_000
SHOWN = ", ".join([*(f"d.{c}" for c in ("service_id", "source", "source_id", "name",
                                         "organization", "taxonomy", "phones", "address",
                                         "city", "region")), "CAST(d.body AS text) AS body"])


@dataclass
class PgState:
    """What a worker holds for the PostgreSQL engine, reloaded when the directory moves."""

    vocab: Vocabulary
    taxonomy_names: dict[str, str]
    code_counts: dict[str, int]
    n: int
    region_counts: dict[str, int] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)  # sorted, for prefix lookups

    def __post_init__(self) -> None:
        self.codes = sorted(self.code_counts)


def load_state(db: Session, vocab: Vocabulary) -> PgState:
    names: dict[str, str] = dict(db.execute(text("SELECT code, name FROM dir_taxonomy_terms")).all())
    counts: dict[str, int] = dict(db.execute(text("SELECT code, ndoc FROM dir_search_codes")).all())
    n = int(db.scalar(text("SELECT count(*) FROM dir_search_docs")) or 0)
    regions: dict[str, int] = dict(db.execute(text(
        "SELECT region, count(*) FROM dir_search_docs WHERE region IS NOT NULL GROUP BY region")).all())
    return PgState(vocab=vocab, taxonomy_names=names, code_counts=counts, n=n,
                   region_counts=regions)


def field_numbers(body: str, tokens: set[str]) -> dict[str, list[int]]:
    """token -> the fields it is in (1 name ... 5 description, `FIELDS` order), for these
    tokens, read from the row's tsvector text (`directory.search_sync.tsvector` writes one
    position a field): each looked up, not the whole text parsed."""
    found: dict[str, list[int]] = {}
    for token in tokens:
        at = body.find(f"'{token}':")
        if at >= 0:
            start = at + len(token) + 3
            end = body.find(" ", start)
            positions = body[start:] if end < 0 else body[start:end]
            found[token] = sorted(int(p.rstrip("ABCD")) for p in positions.split(","))
    return found


class PgSearch:
    def __init__(self, engine: Engine, state: PgState) -> None:
        self.engine = engine
        self.state = state
        self.n = state.n
        self.keys_by_len = phrase_keys_by_length(state.vocab)
        self._ndoc: dict[str, int] = {}  # the directory's words seen so far -> services using it
        self._fuzzy: dict[str, list[tuple[str, float]]] = {}
        self._prefix: dict[str, list[str]] = {}
        self._code_cache: dict[str, list[str]] = {}
        self.postings = bounded.PostingCache()  # the big postings read, by their rows' version

    # ---- the directory's words (cached per state) ---------------------------------------

    def _lookup(self, conn: Connection, tokens: set[str]) -> None:
        missing = [t for t in tokens if t not in self._ndoc]
        if not missing:
            return
        found: dict[str, int] = dict(conn.execute(text(
            "SELECT term, ndoc FROM dir_search_terms WHERE term = ANY(:terms)"),
            {"terms": missing}).all())
        self._ndoc.update(found)  # the directory's words only: bounded by its vocabulary

    def known(self, token: str) -> bool:
        return self._ndoc.get(token, 0) > 0

    def idf(self, token: str) -> float:
        return math.log(1.0 + max(self.n, 1) / max(self._ndoc.get(token, 0), 1))

    def _fetch_fuzzy(self, conn: Connection, need: list[str]) -> dict[str, list[tuple[str, float]]]:
        """Trigram neighbours of each word (pg_trgm's GIN index), re-scored as the memory
        index scores them (rapidfuzz ratio, the same cutoffs, among words of about its length)."""
        if not need:
            return {}
        conn.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                     {"t": TRIGRAM_THRESHOLD})
        rows = conn.execute(text(
            "SELECT q.w, t.term, t.ndoc FROM unnest(CAST(:words AS text[])) AS q(w) "
            "CROSS JOIN LATERAL (SELECT term, ndoc FROM dir_search_terms WHERE term % q.w "
            "AND length(term) BETWEEN length(q.w) - 2 AND length(q.w) + 2 "
            "ORDER BY similarity(term, q.w) DESC, term LIMIT :n) AS t"),
            {"words": need, "n": TRIGRAM_CANDIDATES}).all()
        near: dict[str, set[str]] = {w: set() for w in need}
        for word, term, ndoc in rows:
            near[word].add(term)
            self._ndoc[term] = int(ndoc)
        french = self.state.vocab.words
        found: dict[str, list[tuple[str, float]]] = {}
        for word, choices in near.items():
            choices.update(f for f in french if abs(len(f) - len(word)) <= 2)
            cutoff = 80 if len(word) <= 3 or len(word) >= 8 else 75
            found[word] = [(choice, score / 100.0) for choice, score, _ in process.extract(
                word, sorted(choices), scorer=fuzz.ratio, score_cutoff=cutoff,
                limit=FUZZY_LIMIT)]
        if len(self._fuzzy) > CACHE_LIMIT:
            self._fuzzy = {}  # query words are unbounded; a plan keeps its own copy
        self._fuzzy.update(found)
        return found

    def _fetch_prefix(self, conn: Connection, raw: str) -> list[str]:
        cached = self._prefix.get(raw)
        if cached is None:
            rows = conn.execute(text(
                "SELECT term, ndoc FROM dir_search_terms WHERE term LIKE :p "
                "ORDER BY term COLLATE \"C\" LIMIT 8"), {"p": raw + "%"}).all()
            for term, ndoc in rows:
                self._ndoc[term] = int(ndoc)
            if len(self._prefix) > CACHE_LIMIT:
                self._prefix = {}
            cached = self._prefix[raw] = [term for term, _n in rows]
        return cached

    # ---- planning, as SearchIndex.plan ----------------------------------------------------

    def plan(self, conn: Connection, query: str) -> QueryPlan:
        vocab = self.state.vocab
        codes = [c.upper() for c in QUERY_CODE.findall(query)]
        raw_words = words(QUERY_CODE.sub(" ", query))
        toks = [stem(w) for w in raw_words]
        concepts = find_concepts(vocab, self.keys_by_len, toks)
        wanted = set(toks) | {e for t in toks for e in vocab.words.get(t, ())}
        wanted |= {t for concept, _span in concepts for t in concept.terms}
        self._lookup(conn, wanted)
        cache = self._fuzzy
        fuzzy = {t: cache[t] for t in toks if t in cache}
        need = sorted({t for t in toks if len(t) >= 3 and t not in fuzzy and (
            not (self.known(t) or t in vocab.words) or self._ndoc.get(t, 0) < 3)})
        fuzzy.update(self._fetch_fuzzy(conn, need))
        self._lookup(conn, {e for t in toks for m, _s in fuzzy.get(t, ())
                            for e in (m, *vocab.words.get(m, ()))})
        ends_open = bool(query) and not query[-1].isspace()
        terms = [self._expand(conn, t, raw_words[i], ends_open and i == len(toks) - 1,
                              fuzzy.get(t, []))
                 for i, t in enumerate(toks)]
        return QueryPlan(terms=terms, concepts=concepts, codes=codes)

    def _expand(self, conn: Connection, token: str, raw: str, last: bool,
                fuzzy: list[tuple[str, float]]) -> list[Candidate]:
        out: dict[str, Candidate] = {}
        words_fr = self.state.vocab.words

        def add(tok: str, sim: float) -> None:
            if self.known(tok) and (tok not in out or out[tok].sim < sim):
                out[tok] = Candidate(tok, sim, raw)

        add(token, 1.0)
        for english in words_fr.get(token, ()):
            add(english, TRANSLATION_SIM)
        for match, sim in fuzzy:
            add(match, sim)
            for english in words_fr.get(match, ()):
                add(english, sim * TRANSLATION_SIM)
        if last and len(token) >= 3:
            for word in self._fetch_prefix(conn, raw):
                add(word, PREFIX_SIM)
        return list(out.values())

    def codes_under(self, prefix: str) -> list[str]:
        """The directory's codes under `prefix` (as `SearchIndex.docs_with_code`)."""
        cached = self._code_cache.get(prefix)
        if cached is None:
            start = bisect.bisect_left(self.state.codes, prefix)
            cached = []
            for code in self.state.codes[start:]:
                if not code.startswith(prefix):
                    break
                if code_matches(code, prefix):
                    cached.append(code)
            self._code_cache[prefix] = cached
        return cached

    def _code_boost(self, codes: list[str]) -> float:
        hit = min(sum(self.state.code_counts.get(c, 0) for c in codes), max(self.n, 1))
        return CONCEPT_WEIGHT * math.log(1.0 + max(self.n, 1) / max(hit, 1))

    # ---- the SQL ----------------------------------------------------------------------------

    def scoring(self, plan: QueryPlan) -> tuple[str, dict[str, Any], float, Scored]:
        """The scoring SELECT over the matching rows `m` (one `ts_rank` a distinct word, one
        flag a concept, then a query word's best candidate, then the score, each layer
        fenced with OFFSET 0 so PostgreSQL computes it once a row), its parameters, the
        ceiling (the best score a service could get, as in `SearchIndex.score`), and what
        the candidates' bound needs (`search_pg_tiers`)."""
        params: dict[str, Any] = {"rw": RANK_WEIGHTS}
        flags: list[str] = []  # k0... (concepts), c0... (codes in the query)
        parts: list[str] = []
        ceiling = 0.0
        spans: list[tuple[str, list[int]]] = []
        boosts: dict[str, float] = {}

        def flag(name: str, codes: list[str], boost: float) -> bool:
            """One code-set flag column worth `boost`; none for an empty set."""
            if not codes:
                return False
            params[name], boosts[name] = codes, boost
            flags.append(name)
            parts.append(f"CASE WHEN {name} THEN {boost!r}::float8 ELSE 0 END")
            return True

        for number, (concept, span) in enumerate(plan.concepts):
            codes = sorted({c for p in concept.taxonomy for c in self.codes_under(p)})
            boost = self._code_boost(codes) * max(len(span), 1)
            ceiling += boost
            if flag(f"k{number}", codes, boost):
                spans.append((f"k{number}", span))
        for number, code in enumerate(plan.codes):
            codes = self.codes_under(code)
            boost = self._code_boost(codes)
            ceiling += boost
            flag(f"c{number}", codes, boost)
        tokens: dict[str, str] = {}  # token -> its rank column
        term_cols: list[str] = []
        coverage: list[str] = []
        weighted: list[list[tuple[str, float]]] = []
        for index, candidates in enumerate(plan.terms):
            extra = [Candidate(t, 0.8, "synonym") for c, span in plan.concepts if index in span
                     for t in c.terms if self.known(t)]
            best, exprs = 0.0, []
            weighted.append([])
            for cand in candidates + extra:
                weight = self.idf(cand.token) * cand.sim
                weighted[-1].append((cand.token, weight))
                best = max(best, MAX_WEIGHT * weight)
                column = tokens.setdefault(cand.token, f"r{len(tokens)}")
                exprs.append(f"{column} * {weight!r}::float8")
            ceiling += best
            term_cols.append(f"{'GREATEST(' + ', '.join(exprs) + ')' if exprs else '0'} AS t{index}")
            parts.append(f"t{index}")
            cover = "".join(f" OR {flag}" for flag, span in spans if index in span)
            coverage.append(f"CASE WHEN t{index} > 0{cover} THEN 1 ELSE 0 END")
        rank_cols = []
        for token, column in tokens.items():
            params[column] = token
            query = f"CAST(:{column} AS tsquery)"
            rank_cols.append(f"CASE WHEN m.b @@ {query} THEN LEAST(ts_rank(CAST(:rw AS float4[]), "
                             f"m.b, {query}) * {RANK_SCALE!r}::float8, {MAX_WEIGHT!r}) ELSE 0 END "
                             f"AS {column}")
        flag_cols = [f"m.{f}" for f in flags]
        score = " + ".join(parts) or "0"
        if plan.terms:
            score = (f"({score}) * (0.4 + 0.6 * ({' + '.join(coverage)}) / "
                     f"{float(len(plan.terms))!r}::float8)")
        ranks = ", ".join(["m.service_id", "m.sort_name", *rank_cols, *flag_cols])
        terms = ", ".join(["service_id", "sort_name", *term_cols, *flags])
        select = (f"SELECT service_id, sort_name, {score} AS score FROM (SELECT {terms} FROM ("  # noqa: S608 - built from constants; values are bound
                  f"SELECT {ranks} FROM m OFFSET 0) AS ranks OFFSET 0) AS terms")
        params["all_terms"] = sorted(tokens)
        params["all_codes"] = sorted({c for f in flags for c in params[f]})
        scored = Scored(terms=weighted, flags={f: (params[f], boosts[f]) for f in flags},
                        spans=dict(spans))
        return select, params, ceiling, scored

    def filter_sql(self, filters: Filters) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        if filters.region:
            where.append("d.region = :region")
            params["region"] = filters.region
        if filters.language:
            where.append(":language = ANY(d.languages)")
            params["language"] = filters.language
        if filters.taxonomy:
            params["taxonomy"] = sorted({c for p in filters.taxonomy for c in self.codes_under(p)})
            where.append("d.taxonomy && CAST(:taxonomy AS text[])")
        if filters.area:
            needle = fold(filters.area).strip()
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params["area"] = f"%{escaped}%"
            where.append("lower(unaccent(d.areas)) LIKE :area")
        if filters.accessible:
            where.append("d.accessible")
        if filters.open_at is not None:
            local = filters.open_at
            params.update(day=local.date(), weekday=local.isoweekday(),
                          minute=local.hour * 60 + local.minute)
            covering = ("FROM dir_search_holidays h WHERE h.service_id = d.service_id "
                        "AND h.first_day <= :day AND :day <= h.last_day")
            where.append(
                f"(EXISTS (SELECT 1 {covering} AND h.opens <= :minute AND :minute < h.closes) "  # noqa: S608 - built from constants; values are bound
                f"OR (NOT EXISTS (SELECT 1 {covering}) AND EXISTS (SELECT 1 FROM "
                "dir_search_hours o WHERE o.service_id = d.service_id AND o.weekday = :weekday "
                "AND o.opens <= :minute AND :minute < o.closes)))")
        return where, params

    # ---- the search ----------------------------------------------------------------------------

    def search(self, query: str, filters: Filters | None = None,
               limit: int = 20) -> dict[str, Any]:
        filters = filters or Filters()
        with self.engine.connect() as conn:
            plan = self.plan(conn, query)
            where, params = self.filter_sql(filters)
            params["limit"] = limit
            if not (plan.terms or plan.codes):
                inner = ("SELECT d.service_id, d.sort_name, 1.0 AS score FROM dir_search_docs d "  # noqa: S608 - built from constants; values are bound
                         f"WHERE {' AND '.join(where) or 'true'}")
                rows, _none = self._ranked(conn, inner, params, with_total=False)
                return self._answer(rows, self._browsed(conn, filters, where, params), 1.0, plan)
            scored, scoring_params, ceiling, scoring = self.scoring(plan)
            params.update(scoring_params)
            flags = list(scoring.flags)
            bounds = bounded.fetch(conn, scoring, self.postings)
            if not where:
                total = len(bounds.ids)
            elif len(bounds.ids) > bounded.FILTER_BY_IDS:
                bounds = bounds.keep(self._passing(conn, filters, where, params))
                total, where = len(bounds.ids), []  # only services passing the filters left
            else:
                total = int(conn.scalar(text(bounded.count_sql(where)), params) or 0)
            if total == 0:
                return self._answer([], 0, ceiling, plan)
            if where:  # few matches, filtered on their rows: the best bounds first, then all
                pick = bounded.first(bounds, bounds.order(), limit)
                rows = self._try(conn, bounds, pick, where, flags, scored, params)
                if pick.complete or (len(rows) == limit
                                     and float(rows[-1]["score"]) > pick.outside):
                    return self._answer(rows, total, ceiling, plan)
                pick = bounded.everything(bounds)
            else:  # every service that could rank, of a group of equal scores its first
                pick = bounded.first_of_groups(conn, bounds, bounded.reaching(
                    bounds, bounded.kth_lower(bounds, limit)), limit)
            rows = self._try(conn, bounds, pick, where, flags, scored, params)
        return self._answer(rows, total, ceiling, plan)

    @staticmethod
    def _passing(conn: Connection, filters: Filters, where: list[str],
                 params: dict[str, Any]) -> np.ndarray:
        """Sorted ids that the matches passing the filters are among: a region alone, its
        services' (`bounded.region_ids`); other filters, the matches that pass them, in SQL."""
        if filters == Filters(region=filters.region):
            return bounded.region_ids(conn, params)
        return bounded.ids_of(conn.scalar(text(bounded.passing_matches_sql(where)), params))

    def _browsed(self, conn: Connection, filters: Filters, where: list[str],
                 params: dict[str, Any]) -> int:
        """How many services a search without words lists: every one, a region's (both
        known from the state), or those passing the filters, counted."""
        if filters == Filters():
            return self.n
        if filters == Filters(region=filters.region):
            return self.state.region_counts.get(filters.region or "", 0)
        return int(conn.scalar(text(
            f"SELECT count(*) FROM dir_search_docs d WHERE {' AND '.join(where)}"), params) or 0)  # noqa: S608

    def _try(self, conn: Connection, bounds: bounded.Bounds, pick: bounded.Pick,
             where: list[str], flags: list[str], scored: str,
             params: dict[str, Any]) -> list[Any]:
        """The best `limit` of the picked candidates (`search_pg_bounds`)."""
        sql, extra = bounded.candidates_sql(bounds, pick, where, flags, scored)
        rows, _none = self._ranked(conn, sql, {**params, **extra}, with_total=False)
        return rows

    @staticmethod
    def _ranked(conn: Connection, inner: str, params: dict[str, Any],
                with_total: bool) -> tuple[list[Any], int]:
        """The best `limit` of `inner`'s services, equal scores by folded name then id."""
        total = ", count(*) OVER () AS total" if with_total else ", 0 AS total"
        rows = conn.execute(text(
            f"WITH s AS ({inner}), ranked AS (SELECT service_id, sort_name, score{total} "  # noqa: S608
            "FROM s WHERE score > 0 ORDER BY score DESC, sort_name COLLATE \"C\", service_id "
            f"LIMIT :limit) SELECT r.score, r.total, {SHOWN} FROM ranked r JOIN dir_search_docs d "
            "USING (service_id) ORDER BY r.score DESC, r.sort_name COLLATE \"C\", r.service_id"),
            params).mappings().all()
        return list(rows), int(rows[0]["total"]) if rows else 0

    def _answer(self, rows: list[Any], total: int, ceiling: float,
                plan: QueryPlan) -> dict[str, Any]:
        ceiling = ceiling or 1.0
        return {"results": [self.result(row, 0.0 if not (plan.terms or plan.codes) else
                                        min(1.0, float(row["score"]) / ceiling), plan)
                            for row in rows], "total": total}

    def result(self, row: Any, score: float, plan: QueryPlan) -> dict[str, Any]:
        return {"id": row["source_id"], "source": row["source"], "name": row["name"],
                "organization": row["organization"], "score": round(score, 4),
                "taxonomy": list(row["taxonomy"]), "phones": list(row["phones"]),
                "address": row["address"], "city": row["city"], "region": row["region"],
                "why": self.why(row, plan)}

    def why(self, row: Any, plan: QueryPlan) -> list[str]:
        """What matched, worded as the memory index words it (`SearchIndex.why`)."""
        reasons: list[str] = []
        names = self.state.taxonomy_names
        taxonomy = list(row["taxonomy"])
        for concept, _span in plan.concepts:
            codes = [c for c in taxonomy if any(code_matches(c, p) for p in concept.taxonomy)]
            if codes:
                reasons.append(f"taxonomy {codes[0]} {names.get(codes[0], '')}"
                               f" (means '{concept.label}')".replace("  ", " "))
        fields = field_numbers(row["body"], {c.token for cands in plan.terms for c in cands})
        for candidates in plan.terms:
            for cand in sorted(candidates, key=lambda c: -c.sim):
                hit = [FIELDS[n - 1][0] for n in fields.get(cand.token, ())]
                if hit:
                    note = "" if cand.token == stem(cand.via) else f" (for '{cand.via}')"
                    reasons.append(f"{hit[0]}: {cand.token}{note}")
                    break
        for code in plan.codes:
            match = next((c for c in taxonomy if code_matches(c, code)), None)
            if match:
                reasons.append(f"taxonomy code {match}")
        return list(dict.fromkeys(reasons))
