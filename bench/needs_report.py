"""How long the full needs-and-gaps report takes over many contact records with coded needs.

    python bench/needs_report.py                          # 50,000 records, SQLite and PostgreSQL
    python bench/needs_report.py --records 1000000 --only postgresql   # the 1M target run

Builds completed contact records (1 to 3 needs each, about 1.6 on average, coded across ~400
AIRS-shaped terms, a quarter unmet with a reason, ~500 FSAs over the six regions, a year of
dates) with bulk inserts into a scratch database it creates and drops, then times
`needs.reports.build.needs_report` for the whole year (all regions). The baseline, measured
in the same run on the same data, is a plain `SELECT count(*)` over the two tables; the
report's time is also printed as a multiple of it. Target: < 2 s on PostgreSQL for 1,000,000
records. The default size keeps a run short on a shared machine; the 1M run is opt-in.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.reports import Target, load_postgres, load_sqlite, run_postgres, run_sqlite, timed
from config.database import Base
from config.models import import_all_models
from needs.models import CALL_TYPES, UNMET_REASONS
from needs.reports.build import needs_report
from needs.reports.queries import Scope
from survey.reports.period import Period

REGION_LETTERS = {"central": "M", "central_east": "L", "central_south": "L", "east": "K",
                  "north": "P", "south_west": "N"}
GROUPS = ("BD", "BH", "BM", "BR", "BT", "DD", "DM", "FL", "FT", "LE", "LH", "LV", "NL", "ND",
          "NS", "PH", "PX", "RP", "RX", "TJ")
RECORD_COLUMNS = ("id", "call_sid", "specialist_id", "status", "region", "fsa", "call_type",
                  "follow_up", "call_date", "created_at", "updated_at", "locks_at",
                  "completed_at", "wrap_up_seconds")
NEED_COLUMNS = ("record_id", "position", "taxonomy_code", "met", "unmet_reason", "referral_ids",
                "call_date", "month", "region", "fsa", "complete")
YEAR = date(2026, 1, 1)


def codes() -> list[str]:
    """~400 codes at levels 3 to 5 under 20 level-2 groups."""
    out = []
    for group in GROUPS:
        for term in range(1000, 9000, 1000):
            out.append(f"{group}-{term}")
            out += [f"{group}-{term}.{sub}" for sub in (1000, 5000)]
        out.append(f"{group}-1000.1000-100")
    return out


def fsas() -> list[tuple[str, str]]:
    rng = random.Random(7)
    regions = list(REGION_LETTERS)
    return [(f"{REGION_LETTERS[r]}{rng.randrange(10)}{rng.choice('ABCEGHJKLMNPRSTVWXYZ')}", r)
            for r in (regions[i % len(regions)] for i in range(500))]


def rows(records: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(211)
    coded, places = codes(), fsas()
    reasons, types = list(UNMET_REASONS), list(CALL_TYPES)
    record_rows: list[tuple[Any, ...]] = []
    need_rows: list[tuple[Any, ...]] = []
    for i in range(1, records + 1):
        fsa, region = places[int(rng.random() * len(places))]
        day = YEAR + timedelta(days=int(rng.random() * 365))
        at = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
        record_rows.append((i, f"CA{i:032d}", 1, "complete", region, fsa,
                            types[int(rng.random() * len(types))], False, day, at, at,
                            at + timedelta(hours=72), at, int(rng.random() * 600)))
        month = day.strftime("%Y-%m")
        for position in range(1 + int(rng.random() * rng.random() * 3)):
            met = rng.random() >= 0.25
            need_rows.append((i, position, coded[int(rng.random() * len(coded))], met,
                              None if met else reasons[int(rng.random() * len(reasons))], "[]",
                              day, month, region, fsa, True))
    return record_rows, need_rows


def fill(engine: Engine, records: int, postgres: bool) -> tuple[float, int]:
    started = time.perf_counter()
    record_rows, need_rows = rows(records)
    load = load_postgres if postgres else load_sqlite
    terms: Iterator[tuple[Any, ...]] = ((c, f"Term {c}") for c in codes())
    load(engine, "dir_taxonomy_terms", ("code", "name"), terms)
    load(engine, "contact_records", RECORD_COLUMNS, iter(record_rows))
    load(engine, "contact_needs", NEED_COLUMNS, iter(need_rows))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started, len(need_rows)


def measure(target: Target, records: int) -> None:
    Base.metadata.create_all(target.bulk)
    load_seconds, needs = fill(target.bulk, records, target.postgres)
    scope = Scope(Period(date(2026, 1, 1), date(2026, 12, 31), "America/Toronto"))
    with Session(target.app) as db:  # the app's statement and read timeouts, as planners run it
        baseline, _ = timed(lambda: [db.execute(text(f"SELECT count(*) FROM {t}")).scalar()  # noqa: S608
                                     for t in ("contact_records", "contact_needs")])
        seconds, report = timed(lambda: needs_report(db, scope))
    totals = report["totals"]
    assert totals["records"] == records and totals["needs"] == needs, totals
    print(f"{target.name:<10} records={records:>9,} needs={needs:>9,}  load {load_seconds:6.1f} s  "
          f"report {seconds:6.3f} s  baseline count(*) {baseline:6.3f} s  "
          f"ratio {seconds / baseline:5.1f}x  (unmet {totals['unmet']:,}, "
          f"{len(report['needs_by_taxonomy'])} terms, {len(report['by_fsa'])} FSAs)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres", default="postgresql+psycopg://127.0.0.1:5432",
                        help="server URL without a database name")
    args = parser.parse_args()
    import_all_models()
    if args.only != "postgresql":
        run_sqlite(args.records, measure)
    if args.only != "sqlite":
        run_postgres(args.records, args.postgres, measure, prefix="bench_needs")


if __name__ == "__main__":
    main()
