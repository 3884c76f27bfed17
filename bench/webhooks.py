"""Latency of a whole call's webhooks against a bare Flask endpoint, measured in the same run.

Both apps run under gunicorn (1 worker, 1 thread) on loopback and get the same requests: the
signed form posts of complete simulated calls (greeting, menus, queue, hold, specialist,
survey hook, status). Prints p50/p99 and requests/s for each and the ratios. Also measures
in-process (Flask test client), which isolates the app's own cost from HTTP.

    python bench/webhooks.py --calls 200
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import free_port, percentile, start_gunicorn, table
from ivr.simulator.engine import CallerScript, Exchange, Specialist
from ivr.simulator.transport import FlaskTransport, HttpTransport, Transport

TOKEN = "bench-token"  # noqa: S105 - a throwaway token for the local benchmark
SCRIPTS = [  # a mix of callers: caller ID known, town spoken, French, interpreter
    ("+18075550123", ["1", "1"], "+18075550199"),
    ("+17055550123", ["1", "say:Sudbury", "2"], "+18075550199"),
    ("+16135550123", ["2", "say:logement"], "+16135550199"),
    ("+14165550123", ["3", "say:Punjabi", "3"], "+14165550199"),
]


@dataclass
class Timed:
    inner: Transport
    samples: list[float] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    public_base_url: str = ""

    def __post_init__(self) -> None:
        self.public_base_url = self.inner.public_base_url

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        start = time.perf_counter()
        result = self.inner.post(url, params)
        self.samples.append(time.perf_counter() - start)
        self.requests.append((url, params))
        return result


def run_calls(transport: Timed, calls: int) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    for i in range(calls):
        number, keys, specialist = SCRIPTS[i % len(SCRIPTS)]
        exchange = Exchange(transport, datetime.now(ZoneInfo("America/Toronto")))
        exchange.place_call(CallerScript(number, list(keys)), Specialist(specialist, answer_after=40))


def replay(transport: Timed, requests: list[tuple[str, dict[str, str]]]) -> None:
    for url, params in requests:
        transport.post(url, params)


def summary(name: str, samples: list[float], wall: float) -> dict[str, float]:
    return {"p50": percentile(samples, 50) * 1000, "p99": percentile(samples, 99) * 1000,
            "rps": len(samples) / wall}


def prepare_database(db_url: str) -> None:
    os.environ.update(DATABASE_URL=db_url, TWILIO_AUTH_TOKEN=TOKEN)
    from app import create_app
    from config.cli import upgrade

    upgrade(db_url)
    app = create_app()
    with app.app_context():
        from ivr.cli import DEMO_SPECIALISTS, upsert

        for provider, phone in DEMO_SPECIALISTS.items():
            upsert(f"bench {provider}", phone, provider)


def measure_http(calls: int, db_url: str) -> tuple[dict[str, float], dict[str, float]]:
    ours_port, bare_port = free_port(), free_port()
    env = {"DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": TOKEN,
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{ours_port}"}
    ours = start_gunicorn("app:create_app()", ours_port, env)
    bare = start_gunicorn("bench.bare_app:create_bare_app()", bare_port, {})
    try:
        timed = Timed(HttpTransport(f"http://127.0.0.1:{ours_port}", TOKEN))
        start = time.perf_counter()
        run_calls(timed, calls)
        ours_stats = summary("ours", timed.samples, time.perf_counter() - start)
        baseline = Timed(HttpTransport(f"http://127.0.0.1:{bare_port}", TOKEN))
        start = time.perf_counter()
        replay(baseline, timed.requests)
        bare_stats = summary("bare", baseline.samples, time.perf_counter() - start)
    finally:
        ours.terminate()
        bare.terminate()
    return ours_stats, bare_stats


def measure_in_process(calls: int, db_url: str) -> tuple[dict[str, float], dict[str, float]]:
    from app import create_app
    from bench.bare_app import create_bare_app
    from config.settings import Settings

    settings = Settings.from_env()
    app = create_app(settings)
    timed = Timed(FlaskTransport(app, settings.public_base_url, TOKEN))
    start = time.perf_counter()
    run_calls(timed, calls)
    ours_stats = summary("ours", timed.samples, time.perf_counter() - start)
    baseline = Timed(FlaskTransport(create_bare_app(), settings.public_base_url, TOKEN))
    start = time.perf_counter()
    replay(baseline, timed.requests)
    return ours_stats, summary("bare", baseline.samples, time.perf_counter() - start)


def report(title: str, ours: dict[str, float], bare: dict[str, float]) -> None:
    rows = [["", "p50 ms", "p99 ms", "req/s"],
            ["our webhooks", f"{ours['p50']:.2f}", f"{ours['p99']:.2f}", f"{ours['rps']:.0f}"],
            ["bare Flask TwiML", f"{bare['p50']:.2f}", f"{bare['p99']:.2f}", f"{bare['rps']:.0f}"],
            ["ratio ours/bare", f"{ours['p50'] / bare['p50']:.2f}x", f"{ours['p99'] / bare['p99']:.2f}x",
             f"{bare['rps'] / ours['rps']:.2f}x slower"]]
    print(f"\n{title}\n{table(rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        prepare_database(db_url)
        http = measure_http(args.calls, db_url)
        in_process = measure_in_process(args.calls, db_url)
    store = "redis" if os.environ.get("REDIS_URL") else "in-process"
    print(f"database: {db_url.split('://')[0]}; store: {store}")
    report(f"over HTTP (gunicorn, 1 worker, loopback), {args.calls} calls", *http)
    report(f"in-process (Flask test client), {args.calls} calls", *in_process)
    print("\ntarget: p99 of our webhooks within 2x of the bare endpoint (over HTTP)")


if __name__ == "__main__":
    main()
