"""Prometheus metrics for the call flow: webhook latency and outcomes, served at /metrics.

Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR to an empty directory so
the workers' figures are added up (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from config.extensions import settings

WEBHOOK_SECONDS = Histogram(
    "helpline_webhook_seconds", "Time to answer a Twilio webhook", ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
WEBHOOK_FALLBACKS = Counter(
    "helpline_webhook_fallbacks_total", "Webhooks that failed and answered their fallback TwiML",
    ["endpoint"],
)
REJECTED_SIGNATURES = Counter(
    "helpline_rejected_signatures_total", "Requests refused for a bad X-Twilio-Signature")


LOOPBACK = {"127.0.0.1", "::1"}


def may_read_metrics() -> bool:
    """With `METRICS_TOKEN` set, only `Authorization: Bearer <token>`; without it, only a
    scraper on this host talking to the app directly (a request through a proxy on the same
    host carries X-Forwarded-For or Forwarded, and is refused)."""
    token = settings().metrics_token
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), token.encode())
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    return request.remote_addr in LOOPBACK and not proxied


def register(app: Flask) -> None:
    @app.get("/metrics")
    def metrics() -> Response:
        if not may_read_metrics():
            return Response("not found", status=404, mimetype="text/plain")
        registry = None
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry) if registry else generate_latest()
        return Response(body, mimetype=CONTENT_TYPE_LATEST)


DEGRADED_ANSWERS = Counter(
    "helpline_degraded_answers_total",
    "Webhooks answered without a dependency (redis, database) or by their fallback "
    "(budget: the time budget ran out; error: the handler failed)", ["cause"])


def degraded(cause: str) -> None:
    """Note that this webhook answered without `cause`; counted once per webhook and cause."""
    from flask import g, has_app_context

    if has_app_context():
        causes = g.setdefault("degraded", set())
        causes.add(cause)
    else:
        DEGRADED_ANSWERS.labels(cause).inc()
