"""Benchmark: the directory search engines against full-text baselines, in one run, same records.

    python bench/search.py --services 52000 [--queries 1000] [--no-memory] [--no-rebuild]
    python bench/search.py --services 996000 --generate-only   # fill the database, untimed
    python bench/search.py --services 996000 --no-memory --no-rebuild --slowest 20

On a PostgreSQL database (DATABASE_URL or --database-url; it is filled once: the 211 Miami
records, 4,089 services, plus `--services` generated ones), for each engine: build time,
memory (per worker: what each process holds; shared: one copy for every worker), p50/p95 of
a mixed query set (labelled queries, taxonomy names, record words with a typo; a third with a
region filter, applied by our two engines), and precision@5 on bench/data/labelled_queries.json
over the whole directory (a result is relevant when one of its codes is under a labelled
code), with ratios to the first engine. Engines: ours in memory (`SearchIndex`), ours on
PostgreSQL (`PgSearch`), SQLite FTS5 (bm25) and PostgreSQL full-text (ts_rank), terms OR-ed.
`--no-memory` leaves out the memory engine (1M services: 5 GB a process), `--no-baselines` the
full-text ones (to repeat a run of ours); `--no-rebuild` keeps the PostgreSQL engine's tables
as they are (a database already measured once); `--generate-only` fills the database and
stops (generating 1M takes half an hour: it can run beside other work, niced and outside the
bench lock, and the timed run then finds it filled and rebuilds the tables). `--slowest N`
prints the PostgreSQL engine's N slowest queries. No pass/fail.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app import create_app  # noqa: E402
from config.cli import upgrade  # noqa: E402
from config.database import Base  # noqa: E402
from config.models import import_all_models  # noqa: E402
from config.settings import Settings  # noqa: E402
from config.shared_store import MemoryStore  # noqa: E402
from directory.generator import SOURCE, generate  # noqa: E402
from directory.importer import import_path  # noqa: E402
from directory.models import Service  # noqa: E402
from directory.search_index import Filters, code_matches  # noqa: E402
from directory.search_loader import build_index, build_pg  # noqa: E402
from directory.search_sync import rebuild_unbounded  # noqa: E402
from directory.shared_data import miami_dir  # noqa: E402
from directory.text import words  # noqa: E402

LABELS = ROOT / "bench" / "data" / "labelled_queries.json"
MIAMI = "miami-211-hsds"
Found = list[list[str]]  # the taxonomy codes of each result
Run = Callable[[str, Filters, int], Found]


@dataclass
class Row:
    name: str
    build_s: float
    worker_mb: float
    shared_mb: float
    p50: float = 0.0
    p95: float = 0.0
    precision: float = 0.0


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc)."""
    gc.collect()
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def relation_mb(engine: Engine, tables: list[str]) -> float:
    with engine.connect() as conn:
        total = sum(int(conn.scalar(text("SELECT pg_total_relation_size(CAST(:t AS regclass))"),
                                    {"t": t}) or 0) for t in tables)
    return total / 2**20


def body_sql(alias: str = "d") -> str:
    """The text the baselines index: the same fields, taxonomy names included."""
    return (f"concat_ws(' ', {alias}.name, {alias}.alternate_name, {alias}.organization, "  # noqa: S608
            "(SELECT string_agg(t.name, ' ') FROM dir_taxonomy_terms t "
            f"WHERE t.code = ANY({alias}.taxonomy)), {alias}.description)")


class Fts5:
    """SQLite FTS5 with bm25 over the same text, terms OR-ed (its best recall), filled from
    PostgreSQL a batch at a time."""

    def __init__(self, engine: Engine) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute("CREATE VIRTUAL TABLE docs USING fts5(body, codes UNINDEXED, "
                          "tokenize='porter unicode61 remove_diacritics 2')")
        with engine.begin() as pg:
            result = pg.execution_options(stream_results=True, yield_per=5000).execute(text(
                f"SELECT d.service_id, {body_sql()}, array_to_string(d.taxonomy, ' ') "  # noqa: S608
                "FROM dir_search_docs d"))
            for part in result.partitions():
                self.conn.executemany("INSERT INTO docs(rowid, body, codes) VALUES (?, ?, ?)",
                                      [tuple(r) for r in part])
        self.conn.commit()

    def search(self, query: str, _filters: Filters, limit: int) -> Found:
        terms = [f'"{w}"' for w in words(query)]
        if not terms:
            return []
        rows = self.conn.execute("SELECT codes FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) "
                                 "LIMIT ?", (" OR ".join(terms), limit))
        return [str(r[0]).split() for r in rows]


class PostgresFts:
    """PostgreSQL full-text search (english config, GIN index, ts_rank), terms OR-ed."""

    TABLE = "bench_fts_docs"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {self.TABLE}"))
            conn.execute(text(
                f"CREATE TABLE {self.TABLE} AS SELECT d.service_id AS id, d.taxonomy, "  # noqa: S608
                f"to_tsvector('english', {body_sql()}) AS body FROM dir_search_docs d"))
            conn.execute(text(f"CREATE INDEX {self.TABLE}_gin ON {self.TABLE} USING gin(body)"))
            conn.execute(text(f"ANALYZE {self.TABLE}"))
        self.conn = engine.connect()

    def search(self, query: str, _filters: Filters, limit: int) -> Found:
        terms = ["".join(ch for ch in w if ch.isalnum()) for w in words(query)]
        if not [t for t in terms if t]:
            return []
        rows = self.conn.execute(text(
            f"SELECT taxonomy FROM {self.TABLE}, to_tsquery('english', :q) q WHERE body @@ q "  # noqa: S608
            "ORDER BY ts_rank(body, q) DESC LIMIT :n"), {"q": " | ".join(t for t in terms if t),
                                                        "n": limit})
        self.conn.commit()
        return [list(r[0]) for r in rows]

    def close(self) -> None:
        self.conn.close()  # first: its open transaction would block the DROP
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {self.TABLE}"))


def codes_of(engine_search: Callable[[str, Filters, int], dict[str, Any]]) -> Run:
    return lambda q, f, n: [r["taxonomy"] for r in engine_search(q, f, n)["results"]]


def mixed_queries(engine: Engine, labels: list[dict[str, Any]], count: int,
                  rng: random.Random) -> list[tuple[str, Filters]]:
    """Labelled queries, real taxonomy names, and record words with a typo; a third filtered."""
    with engine.connect() as conn:
        names = [n for (n,) in conn.execute(text("SELECT name FROM dir_taxonomy_terms ORDER BY code"))
                 if len(n) > 3]
        regions = [r for (r,) in conn.execute(text(
            "SELECT DISTINCT region FROM dir_search_docs WHERE region IS NOT NULL ORDER BY 1"))]
        conn.execute(text("SELECT setseed(0.211)"))
        sample = [n for (n,) in conn.execute(text(
            "SELECT name FROM dir_search_docs ORDER BY random() LIMIT 2000"))]
    pool = [str(q["q"]) for q in labels]
    out = []
    for number in range(count):
        kind = number % 3
        if kind == 0:
            query = rng.choice(pool)
        elif kind == 1:
            query = rng.choice(names)
        else:
            word = rng.choice(rng.choice(sample).split())
            query = _typo(word, rng) if len(word) > 4 else word
        region = rng.choice(regions) if regions and number % 3 == 2 else None
        out.append((query, Filters(region=region)))
    return out


def _typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 1)
    return word[:position] + word[position + 1:]


def latency(run: Run, queries: list[tuple[str, Filters]],
            slowest: int = 0) -> tuple[float, float]:
    """p50 and p95 in ms; with `slowest`, the slowest queries are printed (the tail to cut)."""
    for query, filters in queries[:20]:
        run(query, filters, 20)  # warm up
    timed = []
    for query, filters in queries:
        started = time.perf_counter()
        run(query, filters, 20)
        timed.append(((time.perf_counter() - started) * 1000, query, filters.region))
    times = sorted(t for t, _q, _r in timed)
    for ms, query, region in sorted(timed, key=lambda t: -t[0])[:slowest]:
        print(f"    {ms:7.1f} ms  {query!r}" + (f" region={region}" if region else ""), flush=True)
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def precision_at_5(run: Run, labels: list[dict[str, Any]]) -> float:
    scores = []
    for label in labels:
        relevant = [str(p) for p in label["relevant"]]
        found = run(str(label["q"]), Filters(), 5)
        scores.append(sum(1 for codes in found
                          if any(code_matches(c, p) for c in codes for p in relevant)) / 5)
    return statistics.mean(scores)


def prepare(database_url: str, services: int, pg_rebuild: bool,
            generate_only: bool = False) -> tuple[Any, float | None]:
    """The app on the bench database, filled once; the PostgreSQL engine's tables built
    (timed) unless `pg_rebuild` is off or `generate_only` (filling is not measured)."""
    upgrade(database_url)
    settings = replace(Settings(), database_url=database_url, search_engine="postgres")
    app = create_app(settings, store=MemoryStore())
    engine = app.extensions["db_engine"]
    import_all_models()
    Base.metadata.create_all(engine)  # a bench database from an older branch of the chain
    with engine.connect() as conn:
        have_miami = conn.scalar(select(func.count()).select_from(Service)
                                 .where(Service.source == MIAMI))
        have = conn.scalar(select(func.count()).select_from(Service).where(Service.source == SOURCE))
    if not have_miami:
        print("importing the 211 Miami records ...", flush=True)
        import_path(app, miami_dir(), MIAMI)
    if have != services:
        if have:
            raise SystemExit(f"the database holds {have} generated services, not {services}: "
                             "use another database")
        print(f"generating {services} services ...", flush=True)
        started = time.perf_counter()
        # The engine's tables are rebuilt next: generated without indexing each batch (at 1M,
        # each batch would rewrite the common words' postings of up to a million ids).
        generate(create_app(replace(settings, search_engine="memory"), store=MemoryStore())
                 if pg_rebuild else app, services)
        print(f"generated in {time.perf_counter() - started:.0f}s, peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)
    build_s = None
    if generate_only:
        return app, None
    if pg_rebuild:
        started = time.perf_counter()
        rebuild_unbounded(database_url)  # as `flask directory search-sync`
        build_s = time.perf_counter() - started
        print(f"PostgreSQL engine's tables rebuilt in {build_s:.0f}s", flush=True)
    vacuum = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with vacuum.connect() as conn:
        for table in ("dir_search_docs", "dir_search_terms", "dir_search_codes"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    vacuum.dispose()
    return app, build_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=52000, help="generated, beside Miami's")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--no-baselines", action="store_true",
                        help="leave out SQLite FTS5 and PostgreSQL full-text (repeat runs)")
    parser.add_argument("--slowest", type=int, default=0,
                        help="print this many of the PostgreSQL engine's slowest queries")
    parser.add_argument("--generate-only", action="store_true",
                        help="fill the database (Miami + generated) and stop")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("needs a PostgreSQL database (--database-url or DATABASE_URL)")
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["queries"]
    app, pg_build = prepare(args.database_url, args.services, not args.no_rebuild,
                            args.generate_only)
    if args.generate_only:
        print("filled; measure with the same --services and --database-url", flush=True)
        return
    engine = app.extensions["db_engine"]
    queries = mixed_queries(engine, labels, args.queries, random.Random(211))
    rows: list[Row] = []

    def measure(row: Row, run: Run, slowest: int = 0) -> Row:
        row.p50, row.p95 = latency(run, queries, slowest)
        row.precision = precision_at_5(run, labels)
        rows.append(row)
        print(f"  {row.name}: build {row.build_s:.1f} s, p50 {row.p50:.2f} ms, p95 {row.p95:.2f} ms, "
              f"P@5 {row.precision:.2f}", flush=True)  # kept if a later engine fails
        return row

    if not args.no_memory:
        before = rss_mb()
        with app.extensions["db_sessionmaker"]() as db:
            started = time.perf_counter()
            index = build_index(db)
            built = time.perf_counter() - started
        measure(Row("ours, memory", built, rss_mb() - before, 0.0), codes_of(index.search))
        del index
    before = rss_mb()
    with app.extensions["db_sessionmaker"]() as db:
        started = time.perf_counter()
        pg = build_pg(db, engine)
        state_s = time.perf_counter() - started
    shared = relation_mb(engine, ["dir_search_docs", "dir_search_hours", "dir_search_holidays",
                                  "dir_search_terms", "dir_search_codes"])
    row = measure(Row("ours, PostgreSQL", (pg_build or 0.0) + state_s, 0.0, shared),
                  codes_of(pg.search), args.slowest)
    row.worker_mb = rss_mb() - before  # its state and caches, after the queries
    if not args.no_baselines:
        measure_baselines(args.database_url, engine, measure)
    report(rows, len(queries), args, pg_build is None)


def measure_baselines(database_url: str, engine: Engine, measure: Callable[[Row, Run], Row]) -> None:
    """SQLite FTS5 and PostgreSQL full-text, built and measured on the same records."""
    before = rss_mb()
    started = time.perf_counter()
    fts = Fts5(engine)
    measure(Row("SQLite FTS5 (bm25)", time.perf_counter() - started, rss_mb() - before, 0.0),
            fts.search)
    del fts
    started = time.perf_counter()
    unbounded = create_engine(database_url)  # its build takes minutes at 1M: no 30 s bound
    pgfts = PostgresFts(unbounded)
    measure(Row("PostgreSQL FTS (ts_rank)", time.perf_counter() - started, 0.0,
                relation_mb(engine, [PostgresFts.TABLE])), pgfts.search)
    pgfts.close()
    unbounded.dispose()


def report(rows: list[Row], queries: int, args: argparse.Namespace,
           pg_prebuilt: bool) -> None:
    total = args.services + 4089
    base = rows[0]
    print(f"\n{total} services (4,089 Miami + {args.services} generated), {queries} mixed queries, "
          f"in process; precision@5 over the whole directory on "
          f"{len(json.loads(LABELS.read_text())['queries'])} labelled queries")
    print(f"{'engine':26} {'build s':>8} {'worker MB':>10} {'shared MB':>10} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'p95/' + base.name.split(',')[-1].strip()[:6]:>11} {'P@5':>5} "
          f"{'P@5 ratio':>9}")
    for row in rows:
        print(f"{row.name:26} {row.build_s:8.1f} {row.worker_mb:10.0f} {row.shared_mb:10.0f} "
              f"{row.p50:7.2f} {row.p95:7.2f} {row.p95 / base.p95:10.2f}x {row.precision:5.2f} "
              f"{row.precision / base.precision if base.precision else 0:8.2f}x")
    if pg_prebuilt:
        print("(ours, PostgreSQL: tables as they were, not rebuilt; build s is the "
              "state load only)")


if __name__ == "__main__":
    main()
