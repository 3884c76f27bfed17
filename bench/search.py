"""Benchmark: our directory search against full-text baselines, in one run, on the same records.

    python bench/search.py [--services 56000] [--queries 1000]

Latency: p50/p95 of a mixed query set (typos, synonyms, French, taxonomy names, plain words,
some with filters) on the generated Ontario-sized directory, for our in-memory search, SQLite
FTS5 and, when DATABASE_URL is PostgreSQL, PostgreSQL full-text search. Quality: precision@5
of each on the labelled queries in bench/data/labelled_queries.json, over the 211 Miami
records. Prints a table with ratios to our search; no pass/fail, the figures are the output.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app import create_app  # noqa: E402
from config.database import Base  # noqa: E402
from config.models import import_all_models  # noqa: E402
from config.settings import Settings  # noqa: E402
from config.shared_store import MemoryStore  # noqa: E402
from directory.generator import SOURCE, generate  # noqa: E402
from directory.importer import import_path  # noqa: E402
from directory.models import Service  # noqa: E402
from directory.search_index import DocData, Filters, SearchIndex, code_matches  # noqa: E402
from directory.search_loader import build_index  # noqa: E402
from directory.shared_data import miami_dir  # noqa: E402
from directory.text import words  # noqa: E402

LABELS = ROOT / "bench" / "data" / "labelled_queries.json"
Search = Callable[[str, int], list[int]]


def doc_text(doc: DocData, names: dict[str, str]) -> str:
    parts = [
        doc.name,
        doc.alternate_name or "",
        doc.organization or "",
        " ".join(names.get(c, "") for c in doc.taxonomy),
        doc.description or "",
    ]
    return " ".join(parts)


class Fts5:
    """SQLite FTS5 with bm25, over the same text, terms OR-ed (best recall it offers)."""

    def __init__(self, docs: list[DocData], names: dict[str, str]) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(body, tokenize='porter unicode61 remove_diacritics 2')"
        )
        self.conn.executemany(
            "INSERT INTO docs(rowid, body) VALUES (?, ?)",
            ((i, doc_text(d, names)) for i, d in enumerate(docs)),
        )
        self.conn.commit()

    def search(self, query: str, limit: int) -> list[int]:
        terms = [f'"{w}"' for w in words(query)]
        if not terms:
            return []
        rows = self.conn.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (" OR ".join(terms), limit),
        )
        return [r[0] for r in rows]


class Postgres:
    """PostgreSQL full-text search (english config, GIN index, ts_rank), terms OR-ed."""

    def __init__(self, engine: Engine, docs: list[DocData], names: dict[str, str], table: str) -> None:
        self.engine, self.table = engine, table
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            conn.execute(text(f"CREATE TABLE {table} (id integer primary key, body tsvector)"))
            rows = [{"id": i, "body": doc_text(d, names)} for i, d in enumerate(docs)]
            for start in range(0, len(rows), 5000):
                conn.execute(
                    text(f"INSERT INTO {table} VALUES (:id, to_tsvector('english', :body))"),  # noqa: S608
                    rows[start : start + 5000],
                )
            conn.execute(text(f"CREATE INDEX {table}_gin ON {table} USING gin(body)"))
            conn.execute(text(f"ANALYZE {table}"))
        self.conn = engine.connect()

    def search(self, query: str, limit: int) -> list[int]:
        terms = [re.sub(r"[^a-z0-9]", "", w) for w in words(query)]
        terms = [t for t in terms if t]
        if not terms:
            return []
        tsq = " | ".join(terms)
        rows = self.conn.execute(
            text(
                f"SELECT id FROM {self.table}, to_tsquery('english', :q) q WHERE body @@ q "  # noqa: S608
                "ORDER BY ts_rank(body, q) DESC LIMIT :n"
            ),
            {"q": tsq, "n": limit},
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        self.conn.close()  # first: its open transaction would block the DROP
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {self.table}"))


def ours(index: SearchIndex) -> Search:
    def search(query: str, limit: int) -> list[int]:
        found = index.search(query, Filters(), limit)["results"]
        return [index.by_source_id[(r["source"], r["id"])] for r in found]

    return search


def mixed_queries(
    index: SearchIndex, labels: list[dict[str, object]], count: int, rng: random.Random
) -> list[tuple[str, Filters]]:
    """Labelled queries, real taxonomy names, and record words with a typo; a third filtered."""
    names = list({n for n in index.taxonomy_names.values() if len(n) > 3})
    regions: list[str | None] = [r for r in index.region_codes] or [None]
    pool = [str(q["q"]) for q in labels]
    out = []
    for number in range(count):
        kind = number % 3
        if kind == 0:
            query = rng.choice(pool)
        elif kind == 1:
            query = rng.choice(names)
        else:
            word = rng.choice(index.docs[rng.randrange(index.n)].name.split())
            query = _typo(word, rng) if len(word) > 4 else word
        filters = Filters(region=rng.choice(regions)) if number % 3 == 2 else Filters()
        out.append((query, filters))
    return out


def _typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 1)
    return word[:position] + word[position + 1 :]


def latency(run: Callable[[str, Filters], object], queries: list[tuple[str, Filters]]) -> tuple[float, float]:
    for query, filters in queries[:20]:
        run(query, filters)  # warm up
    times = []
    for query, filters in queries:
        started = time.perf_counter()
        run(query, filters)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def precision_at_5(search: Search, docs: list[DocData], labels: list[dict[str, object]]) -> dict[str, float]:
    by_kind: dict[str, list[float]] = {}
    for label in labels:
        relevant = [str(p) for p in label["relevant"]]  # type: ignore[attr-defined]
        found = search(str(label["q"]), 5)
        good = sum(1 for i in found if any(code_matches(c, p) for c in docs[i].taxonomy for p in relevant))
        by_kind.setdefault(str(label["kind"]), []).append(good / 5)
    result = {kind: statistics.mean(v) for kind, v in sorted(by_kind.items())}
    result["all"] = statistics.mean(x for v in by_kind.values() for x in v)
    return result


def make_app(database_url: str):  # type: ignore[no-untyped-def]
    import_all_models()
    app = create_app(replace(Settings(), database_url=database_url), store=MemoryStore())
    Base.metadata.create_all(app.extensions["db_engine"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=56000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.gettempdir()}/bench211.sqlite3",
    )
    args = parser.parse_args()
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["queries"]
    rng = random.Random(211)
    is_pg = args.database_url.startswith("postgresql")

    app = make_app(args.database_url)
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Service).where(Service.source == SOURCE))
    if have != args.services:
        print(f"generating {args.services} services into {args.database_url} ...", flush=True)
        generate(app, args.services)
    with app.extensions["db_sessionmaker"]() as db:
        started = time.perf_counter()
        index = build_index(db)
        build_s = time.perf_counter() - started
    big = [d for d in index.docs if d.source == SOURCE]
    print(
        f"index: {len(index.docs)} services ({len(big)} generated), "
        f"{len(index.postings)} words, built in {build_s:.1f}s"
    )

    queries = mixed_queries(index, labels, args.queries, rng)
    rows = [("ours (in-memory, rapidfuzz)", latency(lambda q, f: index.search(q, f, 20), queries))]
    fts = Fts5(index.docs, index.taxonomy_names)
    rows.append(("SQLite FTS5 (bm25)", latency(lambda q, f: fts.search(q, 20), queries)))
    pg = None
    if is_pg:
        pg = Postgres(engine, index.docs, index.taxonomy_names, "bench_fts_docs")
        rows.append(("PostgreSQL FTS (ts_rank)", latency(lambda q, f: pg.search(q, 20), queries)))
        pg.close()

    print(
        f"\nLatency over {len(queries)} mixed queries, {len(index.docs)} services "
        "(filters applied by ours only)"
    )
    print(f"{'engine':32} {'p50 ms':>8} {'p95 ms':>8} {'p95 / ours':>11}")
    for name, (p50, p95) in rows:
        print(f"{name:32} {p50:8.2f} {p95:8.2f} {p95 / rows[0][1][1]:10.2f}x")

    quality(labels, is_pg, args.database_url)


def quality(labels: list[dict[str, object]], is_pg: bool, database_url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(f"sqlite:///{tmp}/miami.sqlite3")
        import_path(app, miami_dir(), "miami-211-hsds")
        with app.extensions["db_sessionmaker"]() as db:
            index = build_index(db)
        engines: list[tuple[str, Search]] = [("ours", ours(index))]
        fts = Fts5(index.docs, index.taxonomy_names)
        engines.append(("SQLite FTS5", fts.search))
        pg = None
        if is_pg:
            pg = Postgres(
                make_app(database_url).extensions["db_engine"],
                index.docs,
                index.taxonomy_names,
                "bench_fts_miami",
            )
            engines.append(("PostgreSQL FTS", pg.search))
        scores = [(name, precision_at_5(search, index.docs, labels)) for name, search in engines]
        if pg:
            pg.close()
    kinds = list(scores[0][1])
    print(
        f"\nPrecision@5 on {len(labels)} labelled queries over the 211 Miami records "
        f"({len(index.docs)} services)"
    )
    print(f"{'engine':16}" + "".join(f"{k:>10}" for k in kinds) + f"{'ours / it':>11}")
    for name, result in scores:
        ratio = scores[0][1]["all"] / result["all"] if result["all"] else float("inf")
        print(f"{name:16}" + "".join(f"{result[k]:10.2f}" for k in kinds) + f"{ratio:10.2f}x")


if __name__ == "__main__":
    main()
