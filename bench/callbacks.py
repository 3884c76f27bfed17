"""A surge on a queue with few specialists, with and without callbacks offered (issue 15).

    python bench/callbacks.py                       # 60 callers in 10 minutes, 2 specialists
    python bench/callbacks.py --callers 120 --specialists 3 --accept 0.7 --after 120

The same surge runs twice through the whole app in process (SQLite in a temporary folder,
the in-process store), in simulated time (`ivr.simulator.surge_queue`): the same callers
(arrival times, patience, whether they would take a callback), the same talk times. The
first run publishes the default rules, the second the same rules with a callback rule first
(`after_seconds`). Printed side by side: abandonment (hung up while queued, over callers who
reached the queue), the longest time on hold, time to callback (accepted to connected),
callbacks accepted / completed / failed, and calls answered (callbacks included).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from bench.common import table
from config.database import Base
from config.ontario import data_files
from config.settings import Settings
from config.shared_store import MemoryStore
from ivr.models import Callback, Specialist
from ivr.simulator.cli import SimClock
from ivr.simulator.surge_queue import SurgeQueue
from ivr.simulator.transport import FlaskTransport
from routing.engine.default_rules import default_document
from routing.store.versions import publish, rules_changed, save_draft

TORONTO = ZoneInfo("America/Toronto")
START = datetime(2026, 11, 23, 10, 0, tzinfo=TORONTO)  # a Monday morning: north is open
TOKEN = "bench-auth-token-0123456789"  # noqa: S105 - a lab value
BASE = "http://bench.local"


def make_app(folder: Path, callback_after: int | None, specialists: int,
             idle_poll: int) -> tuple[Any, SimClock]:
    settings = replace(Settings(), database_url=f"sqlite:///{folder}/bench.sqlite3",
                       idle_poll_seconds=idle_poll,
                       journal_path=str(folder / "journal.sqlite3"), twilio_auth_token=TOKEN,
                       public_base_url=BASE, secret_key="bench-secret-key-0123456789",  # noqa: S106
                       caller_hash_key="bench-caller-hash-key-0123", caller_hash_cost=4,
                       webhook_budget_seconds=0)
    clock = SimClock(START)
    app = create_app(settings, store=MemoryStore(), clock=clock)
    Base.metadata.create_all(app.extensions["db_engine"])
    doc = default_document()
    if callback_after is not None:
        doc["rules"].insert(0, {"id": "surge-callback", "then": {"type": "callback",
                                                                 "after_seconds": callback_after}})
    with Session(app.extensions["db_engine"]) as db:
        for i in range(specialists):
            db.add(Specialist(name=f"North {i}", phone=f"+1807555{1000 + i}", provider="north"))
        save_draft(db, doc, "bench", START)
        publish(db, data_files(), "bench", START, note="bench")
        db.commit()
    rules_changed(app.extensions["store"])
    return app, clock


def surge(args: argparse.Namespace, callback_after: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        app, clock = make_app(Path(tmp), callback_after, args.specialists, args.idle_poll)
        sim = SurgeQueue(FlaskTransport(app, BASE, TOKEN), START, clock.set, seed=args.seed,
                         talk_mean=args.talk)
        app.extensions["twilio_client_factory"] = lambda: sim.rest
        plan = random.Random(args.seed)
        for i in range(args.callers):
            arrives = plan.uniform(0, args.minutes * 60)
            patience = plan.expovariate(1 / args.patience)
            takes = plan.random() < args.accept
            # Sudbury's exchange (705-673): north, no location question.
            sim.add_caller(f"+1705673{i:04d}", arrives, patience, takes)
        for i in range(args.specialists):
            sim.add_specialist(f"+1807555{1000 + i}", at=1.0)
        sim.run(until=args.hours * 3600)
        with Session(app.extensions["db_engine"]) as db:
            rows = list(db.scalars(select(Callback)))
        app.extensions["durable"].stop()
        return figures(sim, rows)


def figures(sim: SurgeQueue, rows: list[Callback]) -> dict[str, Any]:
    queued = [c for c in sim.callers if c.joined is not None]
    abandoned = [c for c in queued if c.outcome == "abandoned"]
    holds = [(c.left if c.left is not None else sim.now) - (c.joined or 0) for c in queued]
    to_callback = [c.callback_connected - c.callback_accepted for c in sim.callers
                   if c.callback_accepted is not None and c.callback_connected is not None]
    answered = sum(s.answered for s in sim.specialists)
    return {
        "reached the queue": len(queued),
        "abandonment": f"{100 * len(abandoned) / max(1, len(queued)):.1f}%",
        "longest on hold": f"{max(holds, default=0) / 60:.1f} min",
        "median on hold": f"{statistics.median(holds) / 60 if holds else 0:.1f} min",
        "mean on hold": f"{statistics.mean(holds) if holds else 0:.1f} s",
        "callbacks accepted": sum(1 for c in sim.callers if c.outcome == "callback"),
        "callbacks completed": sum(1 for r in rows if r.status == "completed"),
        "callbacks failed": sum(1 for r in rows if r.status == "failed"),
        "callbacks still owed": sum(1 for r in rows if r.status in ("owed", "dialing")),
        "time to callback (median)": (f"{statistics.median(to_callback) / 60:.1f} min"
                                      if to_callback else "-"),
        "time to callback (longest)": (f"{max(to_callback) / 60:.1f} min" if to_callback else "-"),
        "calls answered": answered,
        "numbers still held": sum(1 for r in rows if r.number is not None),
        "webhooks": sim.requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=60)
    parser.add_argument("--minutes", type=float, default=10.0, help="the surge's length")
    parser.add_argument("--specialists", type=int, default=2)
    parser.add_argument("--talk", type=float, default=240.0, help="mean talk time, seconds")
    parser.add_argument("--patience", type=float, default=480.0,
                        help="mean time a caller holds before hanging up, seconds")
    parser.add_argument("--accept", type=float, default=0.6,
                        help="share of callers who take a callback when offered")
    parser.add_argument("--after", type=int, default=120, help="the rule's after_seconds")
    parser.add_argument("--hours", type=float, default=4.0, help="simulated time to run for")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--idle-poll", type=int, default=Settings().idle_poll_seconds,
                        help="seconds a waiting specialist pauses before looking again")
    args = parser.parse_args()
    without = surge(args, None)
    with_cb = surge(args, args.after)
    print(f"{args.callers} callers in {args.minutes:g} min, {args.specialists} specialists, "
          f"talk {args.talk:g} s, patience {args.patience:g} s, {args.accept:.0%} take a "
          f"callback offered from {args.after} s, idle look every {args.idle_poll} s "
          f"(simulated time, seed {args.seed})")
    rows = [["", "no callbacks", "callbacks offered"]]
    rows += [[key, str(without[key]), str(with_cb[key])] for key in without]
    print(table(rows))


if __name__ == "__main__":
    main()
