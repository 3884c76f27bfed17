"""Latency of a whole call's webhooks against a bare Flask endpoint, measured in the same run.

Both apps run under gunicorn with the same settings (1 sync worker, 1 thread, loopback) and
get the same requests: the signed form posts of complete simulated calls (greeting, menus,
queue, hold, specialist, survey, status). Each request goes to our app and straight after
to the bare app, so background load on the machine hits both alike. Warm-up calls (lazy
imports, rule-set load, connection pools) are not counted. Prints p50/p99 and requests/s
for each, the ratios, and a per-endpoint breakdown that says where the time (and the p99
tail) goes. Also measures in-process (Flask test client), which isolates the app's own cost
from HTTP; `--profile TOP` adds a cProfile of the in-process path (project functions only).

    python bench/webhooks.py --calls 200
    DATABASE_URL=postgresql://127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/15 \\
        python bench/webhooks.py --calls 200
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import round_trips
from bench.common import ROOT, percentile, table
from bench.round_trips import RoundTrips
from ivr.simulator.engine import CallerScript, Exchange, Specialist
from ivr.simulator.transport import FlaskTransport, HttpTransport, Transport
from tests.fault_servers import Gunicorn

TOKEN = "bench-token"  # noqa: S105 - a throwaway token for the local benchmark
SCRIPTS = [  # a mix of callers: caller ID known, town spoken, French, interpreter
    ("+18075550123", ["1", "1"]),
    ("+17055550123", ["1", "say:Sudbury", "2"]),
    ("+16135550123", ["2", "say:logement"]),
    ("+14165550123", ["3", "say:Punjabi", "3"]),
]
ANSWER_AFTER = 40.0  # seconds in queue before a specialist dials in: a couple of hold polls
PROJECT_CODE = re.escape(str(ROOT)) + r"/(ivr|config|routing|survey|directory|accounts)/(?!simulator)"


@dataclass
class Sample:
    endpoint: str
    ours: float  # seconds
    bare: float
    db: int | None = None  # round trips our app made for it (in-process only)
    redis: int | None = None


@dataclass
class Paired:
    """Posts each request to our app, then the same request to the bare app, timing both.

    Back-to-back pairs put both apps under the same conditions (machine load, a server that
    was idle during the other's request); the simulator follows only our app's answers.
    """

    ours: Transport
    bare: Transport
    samples: list[Sample] = field(default_factory=list)
    public_base_url: str = ""
    counts: RoundTrips | None = None  # in-process: our app's round trips, read around each

    def __post_init__(self) -> None:
        self.public_base_url = self.ours.public_base_url

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        before = self.counts.snapshot() if self.counts else (0, 0)
        start = time.perf_counter()
        result = self.ours.post(url, params)
        spent = time.perf_counter() - start
        sample = Sample(endpoint_of(url), spent, 0.0)
        if self.counts:
            after = self.counts.snapshot()
            sample.db, sample.redis = after[0] - before[0], after[1] - before[1]
        sample.bare = timed_post(self.bare, url, params)
        self.samples.append(sample)
        return result


def endpoint_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def timed_post(transport: Transport, url: str, params: dict[str, str]) -> float:
    start = time.perf_counter()
    status, body = transport.post(url, params)
    elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"bare app answered {status} for {url}: {body[:100]}")
    return elapsed


def place_calls(ours: Transport, bare: Transport, calls: int, by_queue: dict[str, str],
                first: int = 0, counts: RoundTrips | None = None) -> list[Sample]:
    """Place `calls` whole calls; every request goes to our app and then to the bare app."""
    paired = Paired(ours, bare, counts=counts)
    for i in range(first, first + calls):
        number, keys = SCRIPTS[i % len(SCRIPTS)]
        exchange = Exchange(paired, datetime.now(ZoneInfo("America/Toronto")))
        specialist = Specialist(next(iter(by_queue.values())), ANSWER_AFTER, by_queue=by_queue)
        exchange.place_call(CallerScript(number, list(keys)), specialist)
    return paired.samples


def measure(ours: Transport, bare: Transport, calls: int, warmup: int,
            by_queue: dict[str, str], counts: RoundTrips | None = None) -> list[Sample]:
    place_calls(ours, bare, warmup, by_queue)
    return place_calls(ours, bare, calls, by_queue, first=warmup, counts=counts)


@dataclass
class Cpu:
    """CPU seconds the two servers spent on the measured calls (gunicorn master + workers)."""

    ours: float
    bare: float
    calls: int
    webhooks: int

    def lines(self) -> str:
        per = 1000 / max(1, self.webhooks)
        return (f"cpu per call: ours {1000 * self.ours / max(1, self.calls):.1f} ms, bare "
                f"{1000 * self.bare / max(1, self.calls):.1f} ms ({self.webhooks / max(1, self.calls):.1f}"
                f" webhooks a call)\ncpu per webhook: ours {per * self.ours:.2f} ms, bare "
                f"{per * self.bare:.2f} ms, ratio {self.ours / max(1e-9, self.bare):.1f}x")


def register_specialists() -> dict[str, str]:
    """The demo specialists, one per provider; returns queue -> phone.

    Routing depends on the time of day (regional hours, after-hours centre, overflow), so a
    specialist staffs every queue: each call is answered and the request mix is the same
    whenever the bench runs.
    """
    from app import create_app
    from ivr.cli import seed_demo_specialists

    app = create_app()
    with app.app_context():
        by_queue = seed_demo_specialists()
    app.extensions["db_engine"].dispose()
    return by_queue


def prepare_database(db_url: str, disaster: bool = False) -> dict[str, str]:
    # The queue bridge, as over HTTP: the conference's REST requests would go to api.twilio.com.
    os.environ.update(DATABASE_URL=db_url, TWILIO_AUTH_TOKEN=TOKEN, CALL_BRIDGE="queue")
    from config.cli import upgrade

    upgrade(db_url)
    by_queue = register_specialists()
    if disaster:
        turn_disaster_mode_on()
    return by_queue


def turn_disaster_mode_on() -> None:
    """`--disaster`: every call then runs with the bulletin first, the information offer in
    the need menu and the overlaid rules (read by each app on its first call)."""
    from datetime import UTC

    from app import create_app
    from config.database import session_scope
    from routing.store import disaster

    app = create_app()
    with session_scope(app) as db:
        disaster.turn_on(db, "bench", datetime.now(UTC), disaster.clean({
            "event": "the bench flood", "bulletin_en": "Flooding: shelters are open.",
            "bulletin_fr": "Inondations : les refuges sont ouverts.",
            "info_en": "Shelters are open.", "info_fr": "Les refuges sont ouverts."}))
    app.extensions["db_engine"].dispose()


def measure_http(calls: int, warmup: int, db_url: str, by_queue: dict[str, str],
                 worker_class: str | None = None) -> tuple[list[Sample], Cpu]:
    ours = Gunicorn("app:create_app()", {}, workers=1, threads=1, worker_class=worker_class)
    bare = Gunicorn("bench.bare_app:create_bare_app()", {}, workers=1, threads=1,
                    worker_class=worker_class)
    env = {"DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": TOKEN, "CALL_BRIDGE": "queue",
           "PUBLIC_BASE_URL": ours.url}
    ours.env, bare.env = env, env
    ours.start()
    bare.start()
    try:
        to_ours, to_bare = HttpTransport(ours.url, TOKEN), HttpTransport(bare.url, TOKEN)
        place_calls(to_ours, to_bare, warmup, by_queue)
        cpu = ours.cpu_seconds(), bare.cpu_seconds()
        samples = place_calls(to_ours, to_bare, calls, by_queue, first=warmup)
        return samples, Cpu(ours.cpu_seconds() - cpu[0], bare.cpu_seconds() - cpu[1], calls,
                            len(samples))
    finally:
        ours.stop()
        bare.stop()


def in_process_transports() -> tuple[Transport, Transport]:
    from app import create_app
    from bench.bare_app import create_bare_app
    from config.settings import Settings

    settings = Settings.from_env()
    ours = FlaskTransport(create_app(settings), settings.public_base_url, TOKEN)
    return ours, FlaskTransport(create_bare_app(), settings.public_base_url, TOKEN)


def measure_in_process(calls: int, warmup: int, by_queue: dict[str, str]) -> list[Sample]:
    ours, bare = in_process_transports()
    counts = round_trips.install(ours.client.application)  # type: ignore[attr-defined]
    return measure(ours, bare, calls, warmup, by_queue, counts)


def profile_in_process(calls: int, by_queue: dict[str, str], top: int) -> str:
    """cProfile of our app's in-process calls: the project's functions by cumulative time."""
    ours, bare = in_process_transports()
    place_calls(ours, bare, 4, by_queue)  # warm-up, unprofiled
    profiler = cProfile.Profile()
    profiler.enable()
    place_calls(ours, bare, calls, by_queue)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(PROJECT_CODE, top)
    return out.getvalue()


def stats(values: list[float]) -> dict[str, float]:
    """p50/p99 in ms; req/s from the time spent in requests (one client, so 1 / mean latency)."""
    return {"p50": percentile(values, 50) * 1000, "p99": percentile(values, 99) * 1000,
            "rps": len(values) / sum(values)}


def report(title: str, samples: list[Sample]) -> float:
    """Print the overall table; returns the p99 ratio."""
    ours, bare = stats([s.ours for s in samples]), stats([s.bare for s in samples])
    rows = [["", "p50 ms", "p99 ms", "req/s"],
            ["our webhooks", f"{ours['p50']:.2f}", f"{ours['p99']:.2f}", f"{ours['rps']:.0f}"],
            ["bare Flask TwiML", f"{bare['p50']:.2f}", f"{bare['p99']:.2f}", f"{bare['rps']:.0f}"],
            ["ratio ours/bare", f"{ours['p50'] / bare['p50']:.2f}x", f"{ours['p99'] / bare['p99']:.2f}x",
             f"{bare['rps'] / ours['rps']:.2f}x slower"]]
    print(f"\n{title}: {len(samples)} requests\n{table(rows)}")
    return ours["p99"] / bare["p99"]


def breakdown(samples: list[Sample]) -> None:
    """Per endpoint: latency, share of our total time, and share of the overall p99 tail."""
    cutoff = percentile([s.ours for s in samples], 99)
    total = sum(s.ours for s in samples)
    tail_size = sum(1 for s in samples if s.ours >= cutoff)
    groups: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[sample.endpoint].append(sample)
    counted = samples[0].db is not None
    rows = [["endpoint", "n", "p50 ms", "p99 ms", "bare p50", "p50 x", "time %", "tail %"]
            + (["db rt", "redis rt"] if counted else [])]
    for name, group in sorted(groups.items(), key=lambda kv: -sum(s.ours for s in kv[1])):
        ours, bare = [s.ours for s in group], [s.bare for s in group]
        rows.append([name, str(len(group)), f"{percentile(ours, 50) * 1000:.2f}",
                     f"{percentile(ours, 99) * 1000:.2f}", f"{percentile(bare, 50) * 1000:.2f}",
                     f"{percentile(ours, 50) / percentile(bare, 50):.2f}",
                     f"{100 * sum(ours) / total:.0f}",
                     f"{100 * sum(1 for v in ours if v >= cutoff) / tail_size:.0f}"]
                    + (mean_round_trips(group) if counted else []))
    print(table(rows))


def mean_round_trips(group: list[Sample]) -> list[str]:
    """Mean database and Redis round trips per request of the group."""
    return [f"{sum(s.db or 0 for s in group) / len(group):.1f}",
            f"{sum(s.redis or 0 for s in group) / len(group):.1f}"]


def round_trip_totals(samples: list[Sample], calls: int) -> str:
    db, rd = sum(s.db or 0 for s in samples), sum(s.redis or 0 for s in samples)
    return (f"round trips per webhook: database {db / len(samples):.2f}, redis "
            f"{rd / len(samples):.2f}; per call: database {db / calls:.1f}, redis {rd / calls:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20, help="calls placed first and not counted")
    parser.add_argument("--mode", choices=["both", "http", "in-process"], default="both")
    parser.add_argument("--breakdown", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--disaster", action="store_true",
                        help="with disaster mode on (#15): compare its ratios with a run without")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP",
                        help="also profile the in-process path; print the TOP project functions")
    parser.add_argument("--worker-class", default=None,
                        help="gunicorn worker class over HTTP (sync, gthread; default: "
                             "gunicorn.conf.py's, gthread stamping the queue time)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        by_queue = prepare_database(db_url, args.disaster)
        store = "redis" if os.environ.get("REDIS_URL") else "in-process"
        mode = "disaster mode on; " if args.disaster else ""
        print(f"{mode}database: {db_url.split('://')[0]}; store: {store}; {args.calls} calls "
              f"after {args.warmup} warm-up calls; {len(SCRIPTS)} caller scripts; {load()}")
        if args.mode in {"both", "http"}:
            samples, cpu = measure_http(args.calls, args.warmup, db_url, by_queue,
                                        args.worker_class)
            run(f"over HTTP (gunicorn, 1 {args.worker_class or 'gthread'} worker x 1 thread "
                "each, loopback)", samples, args.breakdown)
            print(cpu.lines())
        if args.mode in {"both", "in-process"}:
            samples = measure_in_process(args.calls, args.warmup, by_queue)
            run("in-process (Flask test client)", samples, args.breakdown)
            print(round_trip_totals(samples, args.calls))
        if args.profile:
            print(profile_in_process(max(1, args.calls // 4), by_queue, args.profile))
    print(f"\n{load()} (other work on the machine widens p99 for both; compare ratios)")
    print("target: p99 of our webhooks within 2x of the bare endpoint (over HTTP)")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def run(title: str, samples: list[Sample], with_breakdown: bool) -> None:
    report(title, samples)
    if with_breakdown:
        breakdown(samples)


if __name__ == "__main__":
    main()
