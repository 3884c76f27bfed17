"""The in-memory search index: typo-tolerant, synonym- and French-aware, fast at 56,000 services.

Built once per process from the database (`directory.search_loader`), it keeps an inverted
index (token -> services with a field weight) and small per-service arrays for the filters.
A query is corrected at the vocabulary level (rapidfuzz against the few thousand distinct
words of the same length, not against 56,000 documents), expanded with the synonym and
French vocabulary into taxonomy concepts, and scored with numpy over the postings.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from directory.text import QUERY_CODE, fold, stem, words
from directory.vocabulary import Concept, Vocabulary, vocabulary

FIELDS = (("name", 3.0), ("alternate name", 2.0), ("taxonomy", 2.0), ("organization", 1.5),
          ("description", 0.6))
MAX_WEIGHT = 5.0
CONCEPT_WEIGHT = 3.0
PREFIX_SIM = 0.85
TRANSLATION_SIM = 0.95
FUZZY_LIMIT = 4


@dataclass
class DocData:
    """What the loader hands the index for one service (and what results show)."""

    pk: int
    source: str
    source_id: str
    name: str
    organization: str | None = None
    alternate_name: str | None = None
    description: str | None = None
    taxonomy: list[str] = field(default_factory=list)
    region: str | None = None
    languages: set[str] = field(default_factory=set)
    accessible: bool = False
    schedules: list[tuple[int, int, int]] = field(default_factory=list)  # weekday, open, close min
    # Holiday hours replace the week's on their dates: (first day, last day, open, close min),
    # the opening None when the service is closed those days.
    holidays: list[tuple[date, date, int | None, int | None]] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    address: str | None = None
    city: str | None = None  # of the address shown, so same-named services can be told apart


@dataclass(frozen=True)
class Filters:
    region: str | None = None
    area: str | None = None
    language: str | None = None
    taxonomy: tuple[str, ...] = ()
    open_at: datetime | None = None  # local time in the directory's timezone
    accessible: bool = False


@dataclass
class Candidate:
    token: str
    sim: float
    via: str  # the query word it came from


@dataclass
class QueryPlan:
    terms: list[list[Candidate]]
    concepts: list[tuple[Concept, list[int]]]  # concept, indexes of the terms it covers
    codes: list[str]


def code_matches(code: str, prefix: str) -> bool:
    """'BD-1800' covers 'BD-1800.2000' and 'BD-1800.2000-640'; 'B' and 'BD' cover 'BD-...'."""
    if not code.startswith(prefix):
        return False
    return len(code) == len(prefix) or len(prefix) <= 2 or code[len(prefix)] in ".-"


def phrase_keys_by_length(vocab: Vocabulary) -> dict[int, list[str]]:
    by_len: dict[int, list[str]] = defaultdict(list)
    for key in vocab.phrases:
        by_len[len(key.split())].append(key)
    return by_len


def find_concepts(vocab: Vocabulary, keys_by_len: dict[int, list[str]],
                  toks: list[str]) -> list[tuple[Concept, list[int]]]:
    """The concepts the query's tokens say, longest phrases first, each token in one at most;
    a phrase with a typo still counts (rapidfuzz over the phrases of its length). Both
    engines plan with it, so they expand a query the same way."""
    found: list[tuple[Concept, list[int]]] = []
    covered: set[int] = set()
    for size in range(min(vocab.max_phrase_len, len(toks)), 0, -1):
        for start in range(0, len(toks) - size + 1):
            span = list(range(start, start + size))
            if covered.intersection(span):
                continue
            key = " ".join(toks[start:start + size])
            concept = vocab.phrases.get(key)
            if concept is None and len(key) >= 4:
                match = process.extractOne(key, keys_by_len.get(size, []),
                                           scorer=fuzz.ratio, score_cutoff=86)
                concept = vocab.phrases[match[0]] if match else None
            if concept is not None:
                found.append((concept, span))
                covered.update(span)
    return found


class Searcher(Protocol):
    """What the API and the lookup page ask of a search engine (memory or PostgreSQL)."""

    n: int  # services searched

    def search(self, query: str, filters: Filters | None = None,
               limit: int = 20) -> dict[str, Any]: ...


class SearchIndex:
    def __init__(self, docs: list[DocData], taxonomy_names: dict[str, str],
                 vocab: Vocabulary | None = None) -> None:
        self.docs = docs
        self.n = len(docs)
        self.taxonomy_names = taxonomy_names
        self.vocab = vocab or vocabulary()
        self._build_postings()
        self._build_filters()
        self._fuzzy_cache: dict[str, list[tuple[str, float]]] = {}
        self._code_cache: dict[str, np.ndarray] = {}

    # ---- building -------------------------------------------------------------------------

    def _doc_fields(self, doc: DocData) -> list[str | None]:
        tax_text = " ".join(self.taxonomy_names.get(c, "") for c in doc.taxonomy)
        return [doc.name, doc.alternate_name, tax_text, doc.organization, doc.description]

    def _build_postings(self) -> None:
        post_docs: dict[str, list[int]] = defaultdict(list)
        post_weights: dict[str, list[float]] = defaultdict(list)
        post_bits: dict[str, list[int]] = defaultdict(list)
        for index, doc in enumerate(self.docs):
            seen: dict[str, list[float]] = {}
            for bit, ((_label, weight), text) in enumerate(zip(FIELDS, self._doc_fields(doc),
                                                              strict=True)):
                if not text:
                    continue
                for token in {stem(w) for w in words(text)}:
                    entry = seen.setdefault(token, [0.0, 0])
                    entry[0] += weight
                    entry[1] = int(entry[1]) | (1 << bit)
            for token, (weight, bits) in seen.items():
                post_docs[token].append(index)
                post_weights[token].append(min(weight, MAX_WEIGHT))
                post_bits[token].append(int(bits))
        self.postings = {t: (np.asarray(d, dtype=np.int32),
                             np.asarray(post_weights[t], dtype=np.float32),
                             np.asarray(post_bits[t], dtype=np.uint8)) for t, d in post_docs.items()}
        self.idf = {t: math.log(1.0 + self.n / len(d)) for t, d in post_docs.items()}
        self.sorted_vocab = sorted(self.postings)
        by_length: dict[int, list[str]] = defaultdict(list)
        for token in list(self.postings) + list(self.vocab.words):
            by_length[len(token)].append(token)
        self.by_length = {length: sorted({t for d in range(-2, 3) for t in by_length.get(length + d, [])})
                          for length in range(1, max(by_length, default=1) + 3)}
        self.phrase_keys_by_len = phrase_keys_by_length(self.vocab)

    def _build_filters(self) -> None:
        regions = sorted({d.region for d in self.docs if d.region})
        self.region_codes = {r: i + 1 for i, r in enumerate(regions)}
        self.region_arr = np.asarray([self.region_codes.get(d.region or "", 0) for d in self.docs],
                                     dtype=np.int16)
        self.accessible_arr = np.asarray([d.accessible for d in self.docs], dtype=bool)
        lang: dict[str, list[int]] = defaultdict(list)
        codes: dict[str, list[int]] = defaultdict(list)
        areas: dict[str, list[int]] = defaultdict(list)
        hours: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for index, doc in enumerate(self.docs):
            for code in doc.languages:
                lang[code].append(index)
            for code in doc.taxonomy:
                codes[code].append(index)
            for area in doc.areas:
                areas[fold(area)].append(index)
            for weekday, opens, closes in doc.schedules:
                hours[weekday].append((index, opens, closes))
        self.lang_docs = {k: np.asarray(v, dtype=np.int32) for k, v in lang.items()}
        self.code_docs = {k: np.asarray(v, dtype=np.int32) for k, v in codes.items()}
        self.sorted_codes = sorted(self.code_docs)
        self.area_docs = {k: np.asarray(v, dtype=np.int32) for k, v in areas.items()}
        self.hours = {day: np.asarray(rows, dtype=np.int32).reshape(-1, 3)
                      for day, rows in hours.items()}
        # index, first and last day (ordinals), open and close minute (-1: closed that day)
        self.holidays = np.asarray(
            [(index, first.toordinal(), last.toordinal(), -1 if opens is None else opens,
              -1 if closes is None else closes)
             for index, doc in enumerate(self.docs) for first, last, opens, closes in doc.holidays],
            dtype=np.int32).reshape(-1, 5)
        # The tie rule: equal scores go alphabetically by name (folded), then by database id.
        self.name_order = np.asarray(
            sorted(range(self.n), key=lambda i: (fold(self.docs[i].name), self.docs[i].pk)),
            dtype=np.int32)
        self.tie_rank = np.empty(self.n, dtype=np.int32)
        self.tie_rank[self.name_order] = np.arange(self.n, dtype=np.int32)
        self.by_source_id: dict[tuple[str, str], int] = {
            (d.source, d.source_id): i for i, d in enumerate(self.docs)}

    # ---- filters ----------------------------------------------------------------------------

    def docs_with_code(self, prefix: str) -> np.ndarray:
        """Services with a code under `prefix` (sorted, unique), cached per prefix."""
        cached = self._code_cache.get(prefix)
        if cached is None:
            cached = self._docs_with_code(prefix)
            if len(self._code_cache) > 10_000:
                self._code_cache.clear()
            self._code_cache[prefix] = cached
        return cached

    def _docs_with_code(self, prefix: str) -> np.ndarray:
        start = bisect.bisect_left(self.sorted_codes, prefix)
        found = []
        for code in self.sorted_codes[start:]:
            if not code.startswith(prefix):
                break
            if code_matches(code, prefix):
                found.append(self.code_docs[code])
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int32)

    def _mask_of(self, indexes: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        mask[indexes] = True
        return mask

    def filter_mask(self, filters: Filters) -> np.ndarray | None:
        mask: np.ndarray | None = None

        def narrow(other: np.ndarray) -> None:
            nonlocal mask
            mask = other if mask is None else (mask & other)

        if filters.region:
            narrow(self.region_arr == self.region_codes.get(filters.region, -1))
        if filters.language:
            narrow(self._mask_of(self.lang_docs.get(filters.language, np.empty(0, np.int32))))
        if filters.taxonomy:
            found = [self.docs_with_code(p) for p in filters.taxonomy]
            narrow(self._mask_of(np.concatenate(found)))
        if filters.area:
            needle = fold(filters.area).strip()
            hits = [docs for area, docs in self.area_docs.items() if needle in area]
            narrow(self._mask_of(np.concatenate(hits)) if hits else np.zeros(self.n, bool))
        if filters.accessible:
            narrow(self.accessible_arr)
        if filters.open_at is not None:
            narrow(self.open_mask(filters.open_at))
        return mask

    def open_mask(self, local: datetime) -> np.ndarray:
        """Services open at `local`: the weekly hours, overridden where a holiday covers the day."""
        rows = self.hours.get(local.isoweekday())
        mask = np.zeros(self.n, dtype=bool)
        minute = local.hour * 60 + local.minute
        if rows is not None and len(rows):
            open_now = (rows[:, 1] <= minute) & (minute < rows[:, 2])
            mask[rows[open_now, 0]] = True
        self._apply_holidays(mask, local.date(), minute)
        return mask

    def _apply_holidays(self, mask: np.ndarray, day: date, minute: int) -> None:
        """A holiday's hours replace the week's: close every service it covers, then reopen
        those whose holiday hours include `minute`."""
        rows, ordinal = self.holidays, day.toordinal()
        covering = (rows[:, 1] <= ordinal) & (ordinal <= rows[:, 2])
        if not covering.any():
            return
        mask[rows[covering, 0]] = False
        opening = covering & (rows[:, 3] >= 0) & (rows[:, 3] <= minute) & (minute < rows[:, 4])
        mask[rows[opening, 0]] = True

    # ---- query planning ------------------------------------------------------------------------

    def fuzzy(self, word: str) -> list[tuple[str, float]]:
        """Vocabulary words close to `word` (typos), best first, cached per index."""
        cached = self._fuzzy_cache.get(word)
        if cached is not None:
            return cached
        cutoff = 80 if len(word) <= 3 or len(word) >= 8 else 75
        choices = self.by_length.get(len(word), [])
        found = [(choice, score / 100.0) for choice, score, _ in process.extract(
            word, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=FUZZY_LIMIT)]
        if len(self._fuzzy_cache) > 50_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[word] = found
        return found

    def _expand_token(self, token: str, raw: str, last: bool) -> list[Candidate]:
        out: dict[str, Candidate] = {}

        def add(tok: str, sim: float) -> None:
            if tok in self.postings and (tok not in out or out[tok].sim < sim):
                out[tok] = Candidate(tok, sim, raw)

        add(token, 1.0)
        for english in self.vocab.words.get(token, ()):
            add(english, TRANSLATION_SIM)
        known = token in self.postings or token in self.vocab.words
        if len(token) >= 3 and (not known or len(self.postings.get(token, ((),))[0]) < 3):
            for match, sim in self.fuzzy(token):
                add(match, sim)
                for english in self.vocab.words.get(match, ()):
                    add(english, sim * TRANSLATION_SIM)
        if last and len(token) >= 3:
            start = bisect.bisect_left(self.sorted_vocab, raw)
            for word in self.sorted_vocab[start:start + 8]:
                if not word.startswith(raw):
                    break
                add(word, PREFIX_SIM)
        return list(out.values())

    def _concepts(self, toks: list[str]) -> list[tuple[Concept, list[int]]]:
        return find_concepts(self.vocab, self.phrase_keys_by_len, toks)

    def plan(self, query: str) -> QueryPlan:
        codes = [c.upper() for c in QUERY_CODE.findall(query)]
        text = QUERY_CODE.sub(" ", query)
        raw_words = words(text)
        toks = [stem(w) for w in raw_words]
        ends_open = bool(query) and not query[-1].isspace()
        terms = [self._expand_token(t, raw_words[i], last=ends_open and i == len(toks) - 1)
                 for i, t in enumerate(toks)]
        return QueryPlan(terms=terms, concepts=self._concepts(toks), codes=codes)

    # ---- scoring ------------------------------------------------------------------------------

    def _term_scores(self, candidates: list[Candidate]) -> tuple[np.ndarray, float]:
        scores = np.zeros(self.n, dtype=np.float32)
        best = 0.0
        for cand in candidates:
            docs, weights, _bits = self.postings[cand.token]
            value = weights * (self.idf[cand.token] * cand.sim)
            scores[docs] = np.maximum(scores[docs], value)
            best = max(best, MAX_WEIGHT * self.idf[cand.token] * cand.sim)
        return scores, best

    def score(self, plan: QueryPlan) -> tuple[np.ndarray, float]:
        total = np.zeros(self.n, dtype=np.float32)
        coverage = np.zeros(self.n, dtype=np.float32)
        ceiling = 0.0
        concept_masks = []
        for concept, span in plan.concepts:
            docs = [self.docs_with_code(p) for p in concept.taxonomy]
            hit = np.unique(np.concatenate(docs)) if docs else np.empty(0, np.int32)
            idf = math.log(1.0 + self.n / max(len(hit), 1))
            boost = CONCEPT_WEIGHT * idf * max(len(span), 1)
            total[hit] += boost
            ceiling += boost
            concept_masks.append((self._mask_of(hit), span, concept))
        for index, candidates in enumerate(plan.terms):
            concept_extra = [c for mask, span, c in concept_masks if index in span]
            extra = [Candidate(t, 0.8, "synonym") for c in concept_extra for t in c.terms
                     if t in self.postings]
            term, best = self._term_scores(candidates + extra)
            covered = term > 0
            for mask, span, _c in concept_masks:
                if index in span:
                    covered |= mask
            total += term
            coverage += covered
            ceiling += best
        for code in plan.codes:
            hit = self.docs_with_code(code)
            boost = CONCEPT_WEIGHT * math.log(1.0 + self.n / max(len(hit), 1))
            total[hit] += boost
            ceiling += boost
        if plan.terms:
            total *= 0.4 + 0.6 * (coverage / len(plan.terms))
        return total, ceiling

    # ---- the search ----------------------------------------------------------------------------

    def search(self, query: str, filters: Filters | None = None,
               limit: int = 20) -> dict[str, Any]:
        filters = filters or Filters()
        plan = self.plan(query)
        mask = self.filter_mask(filters)
        if not (plan.terms or plan.codes):
            in_order = self.name_order if mask is None else self.name_order[mask[self.name_order]]
            return {"results": [self.result(int(i), 0.0, plan) for i in in_order[:limit]],
                    "total": len(in_order)}
        scores, ceiling = self.score(plan)
        if mask is not None:
            scores[~mask] = 0.0
        hits = np.flatnonzero(scores > 0)
        ranked = self.top(hits, scores, limit)
        ceiling = ceiling or 1.0
        return {"results": [self.result(i, min(1.0, float(scores[i]) / ceiling), plan)
                            for i in ranked], "total": len(hits)}

    def top(self, hits: np.ndarray, scores: np.ndarray, limit: int) -> list[int]:
        """The best `limit` of `hits`, by score, equal scores by the tie rule (`tie_rank`).

        Every service scoring at least the limit-th best score is kept before sorting, so the
        first five of `limit=100` are the five of `limit=5`, on every worker.
        """
        values = scores[hits]
        if len(hits) > limit:
            kth = np.partition(values, len(values) - limit)[len(values) - limit]
            keep = values >= kth
            hits, values = hits[keep], values[keep]
        order = np.lexsort((self.tie_rank[hits], -values))
        return [int(i) for i in hits[order[:limit]]]

    def result(self, index: int, score: float, plan: QueryPlan) -> dict[str, Any]:
        doc = self.docs[index]
        return {"id": doc.source_id, "source": doc.source, "name": doc.name,
                "organization": doc.organization, "score": round(score, 4),
                "taxonomy": list(doc.taxonomy), "phones": list(doc.phones),
                "address": doc.address, "city": doc.city, "region": doc.region,
                "why": self.why(index, plan)}

    def why(self, index: int, plan: QueryPlan) -> list[str]:
        reasons: list[str] = []
        doc = self.docs[index]
        for concept, _span in plan.concepts:
            codes = [c for c in doc.taxonomy if any(code_matches(c, p) for p in concept.taxonomy)]
            if codes:
                reasons.append(f"taxonomy {codes[0]} {self.taxonomy_names.get(codes[0], '')}"
                               f" (means '{concept.label}')".replace("  ", " "))
        for candidates in plan.terms:
            for cand in sorted(candidates, key=lambda c: -c.sim):
                docs, _weights, bits = self.postings[cand.token]
                pos = int(np.searchsorted(docs, index))
                if pos < len(docs) and docs[pos] == index:
                    fields = [label for bit, (label, _w) in enumerate(FIELDS) if bits[pos] >> bit & 1]
                    note = "" if cand.token == stem(cand.via) else f" (for '{cand.via}')"
                    reasons.append(f"{fields[0]}: {cand.token}{note}")
                    break
        for code in plan.codes:
            match = next((c for c in doc.taxonomy if code_matches(c, code)), None)
            if match:
                reasons.append(f"taxonomy code {match}")
        return list(dict.fromkeys(reasons))
