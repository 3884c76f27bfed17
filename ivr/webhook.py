"""What every Twilio webhook shares: the signature check, TwiML out, and no 500s ever.

A view returns a `VoiceResponse`; any exception becomes the view's fallback TwiML (by default
the safe route to a person), logged without the caller's number.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, request
from prometheus_client import Histogram
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from config import database
from ivr.metrics import WEBHOOK_FALLBACKS, WEBHOOK_SECONDS
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
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            with _latency(request.endpoint or "unknown").time():
                try:
                    resp = view(*args, **kwargs)
                    database.commit_if_used()
                    return twiml(resp)
                except Exception:
                    log.exception("webhook %s failed; answering the fallback route", request.path)
                    WEBHOOK_FALLBACKS.labels(request.endpoint or "unknown").inc()
                    _rollback()
                    return twiml(fallback())

        return twilio_signed(wrapper)

    return decorate


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
