"""Our app as `bench/surge.py` serves it when it counts round trips: `create_app()` with the
database and Redis round trips counted (`bench.round_trips`) and the webhooks (signed POSTs)
counted beside them. Each gunicorn worker writes its totals to `BENCH_ROUND_TRIPS_DIR` when
it exits, and the bench adds them up: requests run on many threads at once, so only totals
(round trips per webhook on average) mean anything here, not one request's count."""

from __future__ import annotations

import atexit
import json
import os
from pathlib import Path

from flask import Flask, request

from app import create_app as create_our_app
from bench import round_trips


def create_app() -> Flask:
    app = create_our_app()
    counts = round_trips.install(app)
    webhooks = [0]

    @app.before_request
    def count_webhook() -> None:
        if request.method == "POST":
            webhooks[0] += 1

    def save() -> None:
        folder = Path(os.environ["BENCH_ROUND_TRIPS_DIR"])
        (folder / f"{os.getpid()}.json").write_text(json.dumps(
            {"webhooks": webhooks[0], "db": counts.db, "redis": counts.redis}))

    def after_fork() -> None:  # each worker counts its own, from zero
        counts.db = counts.redis = webhooks[0] = 0
        atexit.register(save)

    os.register_at_fork(after_in_child=after_fork)
    return app


def totals(folder: Path) -> dict[str, int]:
    """Every worker's totals, added up."""
    summed = {"webhooks": 0, "db": 0, "redis": 0}
    for path in folder.glob("*.json"):
        for key, value in json.loads(path.read_text()).items():
            summed[key] += value
    return summed
