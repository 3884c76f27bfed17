"""`/healthz` (the process answers) and `/readyz` (which dependency is degraded, and how).

Neither ever answers a 500 or waits long: `/readyz` asks PostgreSQL and Redis at the same
time, each bounded by a short timeout, and says in JSON which one is degraded. It answers
200 even then, since this app still answers every call without them (degraded, not down):
a load balancer should not take every instance out because Redis is away.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Flask
from sqlalchemy import text

READY_TIMEOUT = 1.5
APP_HEADER, APP_NAME = "X-Helpline-App", "helpline211"
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def _database(app: Flask) -> str:
    with app.extensions["webhook_db_engine"].connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


def _store(app: Flask) -> str:
    return "ok" if app.extensions["store"].ping() else "down"


def _outcome(future: Any) -> str:
    try:
        return str(future.result(timeout=READY_TIMEOUT))
    except FutureTimeout:
        return "timeout"
    except Exception as err:  # the dependency's own error, named, never a 500
        return f"down: {type(err).__name__}"


def readiness(app: Flask) -> dict[str, Any]:
    database = _checks.submit(_database, app)
    store = _checks.submit(_store, app)
    checks = {"database": _outcome(database), "redis": _outcome(store)}
    degraded = sorted(name for name, state in checks.items() if state != "ok")
    return {"status": "degraded" if degraded else "ok", "degraded": degraded, **checks,
            "journal_pending": app.extensions["durable"].journal.count()}


def register(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> tuple[dict[str, str], int, dict[str, str]]:
        """Liveness: the process answers. It reads nothing, so it cannot hang. The header
        says it is this app (the simulator checks it: another program on the port is not)."""
        return {"status": "ok"}, 200, {APP_HEADER: APP_NAME}

    @app.get("/readyz")
    def readyz() -> dict[str, Any]:
        return readiness(app)
