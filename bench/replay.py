"""Journal replay throughput: entries/s written to PostgreSQL, one per transaction vs batched.

    python bench/replay.py                     # 4,000 entries (2,000 calls: record + answer)
    python bench/replay.py --calls 5000 --batch 200

Fills the local journal with what a PostgreSQL outage leaves behind (a routed call record
and a survey answer per call, the payloads `ivr.records` and `survey.hook` journal), then
drains it with `DurableWriter.drain(batch=1)` (one entry per transaction: the replay as it
was) and with `drain(batch=N)`, each on a fresh throwaway database on the same server, in
the same run, and prints entries/s for both and their ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.common import table
from bench.surge import load, throwaway_database
from config.durable import REPLAY_BATCH


def drain_rate(server: str, calls: int, batch: int) -> tuple[float, int]:
    """(entries/s, entries written) for one drain of a full journal, `batch` per transaction."""
    from app import create_app
    from config.cli import upgrade
    from config.settings import Settings
    from tests.test_journal_replay import fill

    db_url, drop = throwaway_database(server)
    try:
        upgrade(db_url)
        with tempfile.TemporaryDirectory() as tmp:
            settings = replace(Settings.from_env(), database_url=db_url, redis_url=None,
                               journal_path=str(Path(tmp) / "journal.sqlite3"),
                               search_warm_start=False)
            app = create_app(settings)
            writer = app.extensions["durable"]
            entries = fill(writer, calls)
            with app.app_context():
                started = time.perf_counter()
                written = writer.drain(batch=batch)
                elapsed = time.perf_counter() - started
            with app.extensions["db_engine"].connect() as conn:
                kept = conn.execute(text("SELECT count(*) FROM call_records")).scalar_one()
            assert written == entries and kept == calls, (written, entries, kept)
            writer.stop()
            app.extensions["db_engine"].dispose()
            app.extensions["webhook_db_engine"].dispose()
            return written / elapsed, written
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls in the backlog (2 entries each)")
    parser.add_argument("--batch", type=int, default=REPLAY_BATCH)
    parser.add_argument("--postgres", default="postgresql+psycopg://127.0.0.1:5432",
                        help="server URL without a database name")
    args = parser.parse_args()
    os.environ.setdefault("TWILIO_AUTH_TOKEN", "bench-token")
    one, entries = drain_rate(args.postgres, args.calls, 1)
    many, _ = drain_rate(args.postgres, args.calls, args.batch)
    print(f"\njournal replay of {entries} entries ({args.calls} calls) into PostgreSQL; {load()}")
    print(table([["replay", "entries/s"], ["one per transaction", f"{one:.0f}"],
                 [f"batches of {args.batch}", f"{many:.0f}"], ["ratio", f"{many / one:.1f}x"]]))


if __name__ == "__main__":
    main()
