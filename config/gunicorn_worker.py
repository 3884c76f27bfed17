"""gunicorn's threaded worker, stamping when each request was queued (`X-Request-Start`).

A gthread worker accepts every connection at once and queues it for its few threads; under
overload a request can wait there for seconds before our code sees it, and Twilio counts
that wait against its 15 s. gunicorn tells the app nothing of it, so this worker notes the
moment a connection is handed to the thread pool (a new connection, or a keep-alive one
with a new request) and passes it on as `X-Request-Start: t=<microseconds>`, the header a
proxy in front (nginx `t=${msec}`, Heroku's router) would set; a stamp a proxy already set
is kept, being earlier. The webhooks count their budget from it (`config.deadline`), and
answer the safe route at once to a request that has already waited out its budget.
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

HEADER = "X-REQUEST-START"  # gunicorn keeps header names upper-case


class StampingThreadWorker(ThreadWorker):
    def enqueue_req(self, conn: Any) -> None:
        conn.queued_at = time.time()
        super().enqueue_req(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        queued_at = getattr(conn, "queued_at", None)
        if queued_at is not None and not any(name == HEADER for name, _ in req.headers):
            req.headers.append((HEADER, f"t={round(queued_at * 1e6)}"))
        return super().handle_request(req, conn)
