"""What every Twilio webhook shares: the signature check, TwiML out, and no 500s ever.

A view returns a `VoiceResponse`; any exception becomes the view's fallback TwiML (by default
the safe route to a person), logged without the caller's number. A view that has not
answered within the webhook budget (`WEBHOOK_BUDGET_SECONDS`, a few seconds, well inside
Twilio's 15) is left to finish on its own and the caller gets the fallback now: whatever a
dependency does, Twilio gets its answer in time.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as BudgetSpent
from typing import Any

from flask import Response, copy_current_request_context, g, request
from prometheus_client import Histogram
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from config import database
from config.breaker import DependencyDown
from config.durable import is_unavailable
from config.extensions import settings
from ivr.metrics import DEGRADED_ANSWERS, WEBHOOK_FALLBACKS, WEBHOOK_SECONDS
from ivr.security import signature_is_valid, twilio_signed

log = logging.getLogger(__name__)

MAX_ATTEMPT = 10


def twiml(resp: VoiceResponse) -> Response:
    return Response(str(resp), mimetype="text/xml")


def form(name: str) -> str:
    """A form parameter as stripped text; missing or odd values become ''."""
    value = request.form.get(name, "")
    return value.strip()[:500] if isinstance(value, str) else ""


def form_float(name: str) -> float | None:
    try:
        value = float(form(name))
    except ValueError:
        return None
    return value if value == value and 0 <= value < 10**7 else None  # rejects NaN, negatives


def attempt_arg() -> int:
    """Which try at a menu this is (from the action URL); garbage counts as the first."""
    raw = request.args.get("attempt", "0")
    return min(int(raw), MAX_ATTEMPT) if raw.isdigit() else 0


def webhook(fallback: Callable[[], VoiceResponse]) -> Callable[[Callable[..., VoiceResponse]], Any]:
    """Signed-webhook decorator: answer TwiML, and `fallback()` TwiML if the view fails."""

    def decorate(view: Callable[..., VoiceResponse]) -> Callable[..., Response]:
        def answer(*args: Any, **kwargs: Any) -> tuple[Response, set[str]]:
            try:
                resp = view(*args, **kwargs)
                database.commit_if_used()
                return twiml(resp), g.pop("degraded", set())
            except Exception as err:
                causes = g.pop("degraded", set())
                if isinstance(err, DependencyDown) or is_unavailable(err):
                    log.warning("webhook %s: %s; answering the fallback route", request.path, err)
                    causes.add("redis" if isinstance(err, DependencyDown) else "database")
                else:
                    log.exception("webhook %s failed; answering the fallback route", request.path)
                    causes.add("error")
                WEBHOOK_FALLBACKS.labels(request.endpoint or "unknown").inc()
                _rollback()
                return twiml(fallback()), causes

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            with _latency(request.endpoint or "unknown").time():
                budget = settings().webhook_budget_seconds
                if budget <= 0:
                    resp, causes = answer(*args, **kwargs)
                else:
                    resp, causes = _within(budget, answer, fallback, *args, **kwargs)
                for cause in causes:
                    DEGRADED_ANSWERS.labels(cause).inc()
                return resp

        return twilio_signed(wrapper)

    return decorate


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """This process's pool for webhook views (made after a fork, never inherited)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=64, thread_name_prefix="webhook"))
    return _pool[1]


def _within(budget: float, answer: Callable[..., tuple[Response, set[str]]],
            fallback: Callable[[], VoiceResponse], *args: Any,
            **kwargs: Any) -> tuple[Response, set[str]]:
    """Run the view on a pool thread; past the budget, answer the fallback instead."""
    request.form  # noqa: B018 - parse the body here, so the fallback never races the view for it
    job = _executor().submit(copy_current_request_context(answer), *args, **kwargs)
    try:
        return job.result(timeout=budget)
    except BudgetSpent:
        log.warning("webhook %s took over its %.1f s budget; answering the fallback route",
                    request.path, budget)
        WEBHOOK_FALLBACKS.labels(request.endpoint or "unknown").inc()
        return twiml(fallback()), {"budget"}


@functools.cache
def _latency(endpoint: str) -> Histogram:
    """The endpoint's latency histogram, looked up once (`labels()` locks and validates)."""
    return WEBHOOK_SECONDS.labels(endpoint)


def _rollback() -> None:
    try:
        database.db_session().rollback()
    except Exception:  # the database itself may be what failed
        log.exception("rollback failed")


def empty() -> VoiceResponse:
    return VoiceResponse()


def unknown_webhook(err: HTTPException) -> Response | None:
    """A signed Twilio request to a path or method we do not serve (a misconfigured number,
    a webhook set to GET) still reaches a person. Unsigned requests keep the plain error."""
    from ivr.routing_step import safe_route  # the routing step builds on this module

    if not signature_is_valid():
        return None
    log.warning("Twilio asked %s %s (%s); answering the safe route", request.method, request.path,
                err.code)
    WEBHOOK_FALLBACKS.labels("unknown-webhook").inc()
    return twiml(safe_route())
