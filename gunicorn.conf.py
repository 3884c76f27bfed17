"""gunicorn settings, read from the project root: load the app once in the master, then fork.

`create_app()` builds the directory search index at start (SEARCH_WARM_START), so with
preload every worker starts with it and shares its numpy arrays copy-on-write. The worker
class is gunicorn's threaded one, which also passes on when each request was queued
(`config/gunicorn_worker.py`).
"""

from __future__ import annotations

import gc
from typing import Any

preload_app = True
# gthread, noting when each request was queued for a thread (the webhooks' budget counts it)
worker_class = "config.gunicorn_worker.StampingThreadWorker"


def when_ready(server: Any) -> None:
    """Keep the cyclic GC from touching (and so copying) the preloaded objects in workers."""
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """Each worker opens its own database connections, never the master's (an app without
    a database, such as the benches' bare Flask app, has none to drop)."""
    for name in ("db_engine", "webhook_db_engine"):
        engine = server.app.wsgi().extensions.get(name)
        if engine is not None:
            engine.dispose(close=False)
