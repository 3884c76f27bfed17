"""How long the full planners' report takes on 1,000,000 survey answers and 1,000,000 calls.

    python bench/reports.py                       # SQLite file + the local PostgreSQL
    python bench/reports.py --rows 200000 --only sqlite

Builds the data with bulk inserts (executemany on SQLite, COPY on PostgreSQL) into scratch
databases it creates and drops itself, then times `survey.reports.build.full_report` for a
whole year. The baseline, measured in the same run on the same data, is one plain
`SELECT count(*)` over each of the two tables: the report's time is also printed as a
multiple of that, which says more than seconds on an unknown machine. Target: < 2 s on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from config.database import Base, make_engine
from config.models import import_all_models
from survey.reports.build import full_report
from survey.reports.period import Period

REGIONS = ("central", "central_east", "central_south", "east", "north", "south_west")
NEEDS = ("food", "housing", "health", "income", "legal", "other")
RESULTS = ("answered",) * 8 + ("abandoned", "ivr_abandoned")
QUESTIONS = (  # question, values, positive values
    ("satisfaction", ("1", "2", "3", "4", "5", "5", "5", "5"), {"5"}),
    ("call_again", ("yes",) * 9 + ("no",), {"yes"}),
    ("better_prepared", ("yes",) * 9 + ("no",), {"yes"}),
    ("followed_up", ("yes", "yes", "yes", "some", "no"), {"yes", "some"}),
    ("health_improved", ("yes", "yes", "no"), {"yes"}),
)
YEAR_START = datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
ANSWER_COLUMNS = ("call_sid", "survey", "definition_version", "question", "value", "positive",
                  "answered_at", "channel", "call_date", "month", "language", "region",
                  "provider")
CALL_COLUMNS = ("call_sid", "started_at", "queue_seconds", "talk_seconds", "language", "region",
                "need", "provider", "overflowed", "result")


def answer_rows(count: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(count):
        call, which = divmod(i, len(QUESTIONS))
        question, values, positive = QUESTIONS[which]
        moment = YEAR_START + timedelta(seconds=rng.randrange(365 * 86400))
        value = None if rng.random() < 0.03 else rng.choice(values)
        region = REGIONS[call % len(REGIONS)]
        day = moment.date()
        yield (f"CA{call:032d}", "outcome" if question in ("followed_up", "health_improved")
               else "post_call", "2026.1", question, value,
               None if value is None else value in positive, moment, "voice", day,
               day.strftime("%Y-%m"), "fr" if call % 7 == 0 else "en", region, region)


def call_rows(count: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(count):
        result = rng.choice(RESULTS)
        region = rng.choice(REGIONS)
        queued = None if result == "ivr_abandoned" else rng.randrange(0, 400)
        yield (f"CA{i:032d}", YEAR_START + timedelta(seconds=rng.randrange(365 * 86400)), queued,
               rng.randrange(60, 1200) if result == "answered" else None,
               "fr" if i % 7 == 0 else "en", region, rng.choice(NEEDS), region,
               rng.random() < 0.1, result)


def referral_rows(count: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(count):
        yield (f"CA{rng.randrange(count):032d}", 1, rng.choice(NEEDS),
               YEAR_START + timedelta(seconds=i))


def chunks(rows: Iterator[tuple[Any, ...]], size: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_sqlite(engine: Engine, table: str, columns: tuple[str, ...],
                rows: Iterator[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    raw = engine.raw_connection()
    try:
        for batch in chunks(_sqlite_values(r) for r in rows):
            raw.cursor().executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()


def _sqlite_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """As SQLAlchemy stores them on SQLite: ISO text for dates and times (UTC, no offset)."""
    out: list[Any] = []
    for value in row:
        if isinstance(value, datetime):
            out.append(value.astimezone(UTC).replace(tzinfo=None).isoformat(" "))
        elif isinstance(value, date):
            out.append(value.isoformat())
        else:
            out.append(value)
    return tuple(out)


def load_postgres(engine: Engine, table: str, columns: tuple[str, ...],
                  rows: Iterator[tuple[Any, ...]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


@dataclass(frozen=True)
class Target:
    """Where a bench runs. `app` is made as the app makes its engine (statement and read
    timeouts included): the report is timed on it, as planners get it. `bulk` has no
    timeouts, for building the data only: a COPY of a million rows, or the ANALYZE after
    it, may well outlast the 30 s the app allows one statement."""

    name: str
    app: Engine
    bulk: Engine
    postgres: bool


def fill(engine: Engine, rows: int, postgres: bool) -> float:
    rng = random.Random(211)
    load = load_postgres if postgres else load_sqlite
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO dir_services (id, source, source_id, name) "
                          "VALUES (1, 'bench', 's1', 'Bench service')"))
    load(engine, "survey_answers", ANSWER_COLUMNS, answer_rows(rows, rng))
    load(engine, "call_records", CALL_COLUMNS, call_rows(rows, rng))
    load(engine, "dir_referrals", ("call_sid", "service_id", "need", "created_at"),
         referral_rows(rows // 2, rng))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(func: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(target: Target, rows: int) -> dict[str, float]:
    Base.metadata.create_all(target.bulk)
    load_seconds = fill(target.bulk, rows, target.postgres)
    period = Period(date(2026, 1, 1), date(2026, 12, 31), "America/Toronto")
    with Session(target.app) as db:
        baseline, _ = timed(lambda: [db.execute(text(f"SELECT count(*) FROM {t}")).scalar()  # noqa: S608
                                     for t in ("survey_answers", "call_records")])
        report_seconds, report = timed(lambda: full_report(db, period))
    overall = report["breakdowns"]["overall"][0]
    print(f"{target.name:<10} rows={rows:>9,}  load {load_seconds:6.1f} s  "
          f"report {report_seconds:6.3f} s  baseline count(*) {baseline:6.3f} s  "
          f"ratio {report_seconds / baseline:5.1f}x  "
          f"(very satisfied {overall['figures']['very_satisfied']['pct']}%, "
          f"calls {overall['calls']['calls']:,})", flush=True)
    return {"load": load_seconds, "report": report_seconds, "baseline": baseline}


Measure = Callable[[Target, int], object]


def run_sqlite(rows: int, run: Measure | None = None) -> None:
    """`run` (this bench's `measure` by default) on a throwaway SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite3")
        try:
            (run or measure)(Target("SQLite", engine, engine, False), rows)
        finally:
            engine.dispose()


def run_postgres(rows: int, server: str, run: Measure | None = None, prefix: str = "bench_reports") -> None:
    """`run` on a database of its own on the PostgreSQL server, dropped afterwards."""
    name = f"{prefix}_{int(time.time())}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{server}/{name}")  # the app's waits: what the report is timed on
    bulk = create_engine(f"{server}/{name}")  # no statement or read timeout: the build only
    try:
        (run or measure)(Target("PostgreSQL", engine, bulk, True), rows)
    finally:
        engine.dispose()
        bulk.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres", default="postgresql+psycopg://127.0.0.1:5432",
                        help="server URL without a database name")
    args = parser.parse_args()
    import_all_models()
    if args.only != "postgresql":
        run_sqlite(args.rows)
    if args.only != "sqlite":
        run_postgres(args.rows, args.postgres)


if __name__ == "__main__":
    main()
