"""A surge of callers on gunicorn + PostgreSQL + Redis, against a bare Flask app, with faults.

    python bench/surge.py                                   # 50 callers for 30 s, no fault
    python bench/surge.py --callers 500 --seconds 60 --fault redis-kill --fault-seconds 20

Starts everything it uses and stops it afterwards: a throwaway database on the PostgreSQL
server (`--postgres`), a redis-server of its own, our app under gunicorn (`--workers` x
`--threads`, the project's gunicorn.conf.py, as in production) and the bare Flask app
(`bench/bare_app.py`, fixed TwiML) under the same gunicorn settings. N simulated callers
(`ivr.simulator.crowd`), each on its own thread, place whole calls one after another for
`--seconds` (menus, queue, hold, a specialist dialling in, the bridge, the survey, status
callbacks); every request goes to our app and then, the same, to the bare app, so both are
timed under the same load. The simulator behaves as Twilio with fallback URLs set: a request
that gets no answer within 15 s (or is cut) goes to the number's fallback URL, a status
callback is retried once.

`--fault` breaks one thing `--fault-at` seconds in, for `--fault-seconds`: `redis-kill`
(killed, then started again empty), `redis-pause` (SIGSTOP), `pg-refuse` / `pg-silent`
(PostgreSQL behind a TCP proxy, in its own process, that refuses or accepts and says
nothing; the proxy is only in the path for these two), `worker-kill` (one gunicorn worker
SIGKILLed). Afterwards it waits for the journal to drain and reads the database directly.

Prints calls/s, webhook p50/p99 ours and bare, lost / dropped / safe-routed counts (from
`tests.crowd_checks.audit`, the fault tests' checks), and CPU per webhook and per call from
the gunicorn processes' CPU time (/proc: master, workers, and workers killed or replaced).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.common import percentile, table
from bench.webhooks import TOKEN, prepare_database
from config.journal import Journal
from ivr.simulator.crowd import Crowd, Placed
from ivr.simulator.transport import HttpTransport, Transport
from tests.crowd_checks import PLANS, Audit, audit
from tests.fault_servers import Gunicorn, ProxyProcess, RedisServer

FAULTS = ("redis-kill", "redis-pause", "pg-refuse", "pg-silent", "worker-kill")
TORONTO = ZoneInfo("America/Toronto")
BUDGET = 4.0  # WEBHOOK_BUDGET_SECONDS: a view not done by then answers its fallback
TWILIO_WAIT = 15.0


@dataclass
class Samples:
    """Seconds per request, ours and bare, from every caller thread (list.append is atomic)."""

    ours: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    ours_failed: int = 0  # no answer at all from our app (cut, refused, or past 15 s)

    def clear(self) -> None:
        self.ours.clear()
        self.bare.clear()
        self.ours_failed = 0


class Paired:
    """Each request to our app, then the same request to the bare app; both timed."""

    def __init__(self, ours: Transport, bare: Transport, samples: Samples) -> None:
        self.ours, self.bare, self.samples = ours, bare, samples
        self.public_base_url = ours.public_base_url

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            return self.ours.post(url, params)
        except Exception:
            self.samples.ours_failed += 1
            raise
        finally:
            self.samples.ours.append(time.perf_counter() - started)
            self._bare(url, params)

    def _bare(self, url: str, params: dict[str, str]) -> None:
        started = time.perf_counter()
        try:
            self.bare.post(url, params)
        except Exception as err:  # the baseline must not fail: say so loudly
            print(f"bare app failed: {err}", file=sys.stderr)
        self.samples.bare.append(time.perf_counter() - started)


@dataclass
class Servers:
    ours: Gunicorn
    bare: Gunicorn
    redis: RedisServer
    proxy: ProxyProcess | None
    journal: Path
    db_url: str

    def stop(self) -> None:
        for server in (self.ours, self.bare):
            server.stop()
        self.redis.stop()
        if self.proxy is not None:
            self.proxy.stop()


def start_servers(args: argparse.Namespace, db_url: str, workdir: Path) -> Servers:
    redis = RedisServer(workdir).start()
    proxy = None
    app_db_url = db_url
    if args.fault in ("pg-refuse", "pg-silent"):
        url = make_url(db_url)
        proxy = ProxyProcess(url.host or "127.0.0.1", url.port or 5432).start()
        app_db_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
    journal = workdir / "journal.sqlite3"
    target = "bench.counted_app:create_app()" if args.round_trips else "app:create_app()"
    ours = Gunicorn(target, {}, workers=args.workers, threads=args.threads,
                    worker_class=args.worker_class)
    ours.env = {"DATABASE_URL": app_db_url, "REDIS_URL": redis.url, "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": ours.url, "SECRET_KEY": "surge-bench-secret-key",
                "CALLER_HASH_KEY": "surge-bench-caller-hash-key", "JOURNAL_PATH": str(journal),
                "CALL_BRIDGE": "queue",  # (the crowd's REST stand-ins are out of the server's reach)
                "BENCH_ROUND_TRIPS_DIR": str(workdir)}
    bare = Gunicorn("bench.bare_app:create_bare_app()", {}, workers=args.workers,
                    threads=args.threads, worker_class=args.worker_class)
    return Servers(ours.start(), bare.start(), redis, proxy, journal, db_url)


def fault_steps(name: str | None, servers: Servers) -> tuple[Callable[[], object], Callable[[], object]]:
    """(break, mend) for a fault."""
    if name == "redis-kill":
        return servers.redis.kill, servers.redis.start
    if name == "redis-pause":
        return servers.redis.pause, servers.redis.resume
    if name in ("pg-refuse", "pg-silent"):
        assert servers.proxy is not None
        proxy = servers.proxy
        return (proxy.refuse if name == "pg-refuse" else proxy.silent), proxy.restore
    if name == "worker-kill":
        return servers.ours.kill_worker, servers.ours.wait_workers
    return (lambda: None), (lambda: None)


def run_fault(name: str | None, servers: Servers, at: float, seconds: float,
              log: list[str]) -> threading.Thread:
    broke, mend = fault_steps(name, servers)

    def play() -> None:
        time.sleep(at)
        log.append(f"{time.strftime('%H:%M:%S')} {name}: on")
        broke()
        time.sleep(seconds)
        mend()
        log.append(f"{time.strftime('%H:%M:%S')} {name}: off")

    thread = threading.Thread(target=play, daemon=True)
    if name:
        thread.start()
    return thread


def settle(servers: Servers, timeout: float = 90.0) -> tuple[bool, int]:
    """Wait for /readyz to say both dependencies answer and the journal to be empty."""
    deadline = time.monotonic() + timeout
    journal = Journal(servers.journal)
    pending = journal.count()
    while time.monotonic() < deadline:
        pending = journal.count()
        try:
            with urllib.request.urlopen(f"{servers.ours.url}/readyz", timeout=2) as resp:  # noqa: S310
                ready = b'"ok"' in resp.read()
        except OSError:
            ready = False
        if ready and pending == 0:
            journal.close()
            return True, 0
        time.sleep(0.5)
    journal.close()
    return False, pending


@dataclass
class Run:
    calls: list[Placed]
    samples: Samples
    seconds: float
    cpu_ours: float
    cpu_bare: float
    audit: Audit
    settled: bool
    pending: int
    log: list[str]


def measure(args: argparse.Namespace, servers: Servers, staff: dict[str, str]) -> Run:
    samples = Samples()

    def transport() -> Transport:
        return Paired(HttpTransport(servers.ours.url, TOKEN), HttpTransport(servers.bare.url, TOKEN),
                      samples)

    crowd = Crowd(transport, PLANS, staff, lambda: datetime.now(TORONTO), think=args.think)
    crowd.run(min(args.callers, 2 * args.workers * args.threads), 1)  # warm-up: not counted
    samples.clear()
    log: list[str] = []
    cpu_ours, cpu_bare = servers.ours.cpu_seconds(), servers.bare.cpu_seconds()
    started = time.perf_counter()
    fault = run_fault(args.fault, servers, args.fault_at, args.fault_seconds, log)
    stopper = threading.Timer(args.seconds, crowd.stop)
    stopper.start()
    calls = crowd.run(args.callers)
    elapsed = time.perf_counter() - started
    cpu_ours = servers.ours.cpu_seconds() - cpu_ours
    cpu_bare = servers.bare.cpu_seconds() - cpu_bare
    stopper.cancel()
    if args.fault:
        fault.join()  # mended before the counting starts
    settled, pending = settle(servers)
    engine = create_engine(servers.db_url)
    with Session(engine) as db:
        result = audit(calls, db)
    engine.dispose()
    return Run(calls, samples, elapsed, cpu_ours, cpu_bare, result, settled, pending, log)


def report(args: argparse.Namespace, run: Run) -> None:
    ours, bare, audit_ = run.samples.ours, run.samples.bare, run.audit
    webhooks = len(ours)
    calls = len(run.calls)
    print(f"\n{args.callers} callers for {args.seconds:g} s (think {args.think:g} s), gunicorn "
          f"{args.workers}x{args.threads} {args.worker_class or 'gthread'} each; "
          f"fault: {args.fault or 'none'}"
          + (f" at {args.fault_at:g} s for {args.fault_seconds:g} s" if args.fault else ""))
    for line in run.log:
        print(f"  {line}")
    print(f"{calls} calls in {run.seconds:.1f} s: {calls / run.seconds:.2f} calls/s, "
          f"{webhooks} webhooks ({webhooks / run.seconds:.0f}/s to each app)")
    rows = [["", "p50 ms", "p99 ms", "max ms", f"> {BUDGET:g} s", f"> {TWILIO_WAIT:g} s"]]
    for name, values in (("our app", ours), ("bare Flask", bare)):
        rows.append([name, f"{percentile(values, 50) * 1000:.1f}", f"{percentile(values, 99) * 1000:.1f}",
                     f"{max(values, default=0) * 1000:.0f}", str(sum(v > BUDGET for v in values)),
                     str(sum(v >= TWILIO_WAIT for v in values))])
    rows.append(["ratio ours/bare", f"{percentile(ours, 50) / percentile(bare, 50):.2f}x",
                 f"{percentile(ours, 99) / percentile(bare, 99):.2f}x", "", "", ""])
    print(table(rows))
    lost = audit_.records_missing + audit_.records_open
    wrong = audit_.wrong_context + audit_.wrong_queue + audit_.answered_without_specialist + (
        audit_.bridged_not_answered)
    print(f"lost: {lost} call records, {audit_.answers_lost} of {audit_.answers_given} survey "
          f"answers; {wrong} records wrong; dropped: {audit_.dropped} calls "
          f"({audit_.broken} broken); safe-routed: {audit_.safe_routed}; specialists turned "
          f"away: {audit_.turned_away}; heard another language: {audit_.wrong_language}; "
          f"requests with no answer (sent to the fallback URL or retried): "
          f"{audit_.failed_requests}")
    if not run.settled:
        print(f"NOT SETTLED: {run.pending} journal entries still waiting after 90 s")
    for problem in audit_.problems[:8]:
        print(f"  {problem}")
    per_webhook_ours = 1000 * run.cpu_ours / max(1, webhooks)
    per_webhook_bare = 1000 * run.cpu_bare / max(1, len(bare))
    print(f"cpu per call: ours {1000 * run.cpu_ours / max(1, calls):.1f} ms, "
          f"bare {1000 * run.cpu_bare / max(1, calls):.1f} ms "
          f"(gunicorn CPU {run.cpu_ours:.1f} s ours, {run.cpu_bare:.1f} s bare; {load()})")
    print(f"cpu per webhook: ours {per_webhook_ours:.2f} ms, bare {per_webhook_bare:.2f} ms, "
          f"ratio {per_webhook_ours / per_webhook_bare:.1f}x")


def print_round_trips(folder: Path) -> None:
    from bench.counted_app import totals

    summed = totals(folder)
    per = max(1, summed["webhooks"])
    print(f"round trips per webhook (every worker, warm-up included, {summed['webhooks']} "
          f"webhooks): database {summed['db'] / per:.2f}, redis {summed['redis'] / per:.2f}")


def load() -> str:
    one, _, _ = os.getloadavg()
    return f"load average {one:.1f} on {os.cpu_count()} CPUs"


def throwaway_database(server: str) -> tuple[str, Callable[[], None]]:
    name = f"surge_{os.getpid()}_{int(time.time())}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{server}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long callers keep placing new calls")
    parser.add_argument("--think", type=float, default=0.5,
                        help="real seconds a caller waits before each request")
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument("--fault-at", type=float, default=8.0)
    parser.add_argument("--fault-seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--round-trips", action="store_true",
                        help="count our app's database and Redis round trips (each worker's "
                             "totals, warm-up included; the counting costs a little CPU)")
    parser.add_argument("--worker-class", default=None,
                        help="gunicorn worker class for both apps (sync, gthread; default: "
                             "gunicorn.conf.py's, gthread stamping the queue time)")
    parser.add_argument("--postgres", default="postgresql+psycopg://127.0.0.1:5432",
                        help="server URL without a database name")
    args = parser.parse_args()
    # Stopped (SIGTERM, a timeout): still stop the servers and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    db_url, drop = throwaway_database(args.postgres)
    servers = None
    try:
        staff = prepare_database(db_url)
        with tempfile.TemporaryDirectory() as tmp:
            servers = start_servers(args, db_url, Path(tmp))
            try:
                report(args, measure(args, servers, staff))
            finally:
                servers.stop()
            if args.round_trips:
                print_round_trips(Path(tmp))
    finally:
        drop()


if __name__ == "__main__":
    main()
