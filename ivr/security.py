"""Every webhook proves it came from Twilio: `X-Twilio-Signature` over the public URL."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Response, request
from twilio.request_validator import RequestValidator

from config.extensions import settings
from ivr.metrics import REJECTED_SIGNATURES


def public_url() -> str:
    """The URL Twilio requested, rebuilt from settings so it holds behind a proxy."""
    query = request.query_string.decode("utf-8")
    return settings().public_base_url + request.path + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    cfg = settings()
    if not cfg.validate_signatures:
        return True
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    params = request.form.to_dict() if request.method == "POST" else {}
    expected = _validator(cfg.twilio_auth_token).compute_signature(public_url(), params)
    return hmac.compare_digest(expected, signature)


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    """One validator per token. We sign-check the exact public URL once (settings give it),
    rather than RequestValidator.validate's several port variants, on every webhook's hot path."""
    return RequestValidator(auth_token)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject (403) any request whose signature does not match; nothing else runs."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not signature_is_valid():
            REJECTED_SIGNATURES.inc()
            return Response("invalid Twilio signature", status=403, mimetype="text/plain")
        return view(*args, **kwargs)

    return wrapper
