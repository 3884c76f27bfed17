"""Every webhook proves it came from Twilio: `X-Twilio-Signature` over the public URL."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from config.extensions import settings
from config.headers import for_machines
from ivr.metrics import REJECTED_SIGNATURES

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url() -> str:
    """The URL Twilio requested, rebuilt from settings so it holds behind a proxy."""
    query = request.query_string.decode("utf-8")
    return settings().public_base_url + request.path + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    cfg = settings()
    if not cfg.validate_signatures:
        return True
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    # The MultiDict itself: RequestValidator signs every value of a repeated name, as Twilio does.
    try:
        params = request.form if request.method == "POST" else MultiDict()
    except RequestEntityTooLarge:  # past MAX_CONTENT_LENGTH: no Twilio request is that big
        return False
    expected = _validator(cfg.twilio_auth_token).compute_signature(public_url(), params)
    # As bytes: compare_digest refuses str with non-ASCII characters (a forged header can
    # carry any), which would otherwise fail the request instead of refusing it.
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    """One validator per token. We sign-check the exact public URL once (settings give it),
    rather than RequestValidator.validate's several port variants, on every webhook's hot path."""
    return RequestValidator(auth_token)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject (403) any request whose signature does not match; nothing else runs. Its
    answers are read by Twilio, never shown as a page: fixed security headers, no nonce
    (`config.headers.for_machines`)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not signature_is_valid():
            REJECTED_SIGNATURES.inc()
            return Response("invalid Twilio signature", status=403, mimetype="text/plain")
        return view(*args, **kwargs)

    return for_machines(wrapper)


class TwilioSessionInterface(SessionInterface):
    """Twilio's webhook requests get no cookie session; every other request gets the app's.

    Flask opens the signed-cookie session on every request and saves it at the end (with
    Flask-Login's after-request hook reading it): about 40 µs per webhook, on each of a call's
    ~20 webhooks, for a session no webhook uses, plus a `Vary: Cookie` on every answer. A
    request carrying X-Twilio-Signature and no session cookie gets Flask's read-only null
    session instead: an empty session that is never saved (so a page asked with the header,
    which writes a CSRF token into it, still answers rather than failing on a read-only one).
    Staff pages (no Twilio header) and any request that brings a session cookie go to the
    wrapped interface as before. The signature itself is still checked on every webhook by
    `twilio_signed`.
    """

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if SIGNATURE_HEADER in request.headers and self.inner.get_cookie_name(app) not in request.cookies:
            return UnsavedSession()
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, UnsavedSession):
            self.inner.save_session(app, session, response)


class UnsavedSession(SecureCookieSession):
    """A webhook's session: usable for the request, thrown away after it (no cookie, no Vary)."""
