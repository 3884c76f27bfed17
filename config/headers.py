"""Security headers on every answer (Flask-Talisman): CSP, framing, nosniff, referrer, HSTS.

The pages load their scripts and styles from this app only; the few inline `<script>` blocks
carry the request's nonce (`{{ csp_nonce() }}`). Styles may be inline (the pages use `style=`
attributes; CSS cannot run script). Nothing may frame the pages. HSTS is sent on https
requests (directly or through a proxy that says `X-Forwarded-Proto: https`); TLS itself and
the http-to-https redirect belong to the proxy in front, so Talisman does not redirect.

A view marked `for_machines` (every Twilio webhook: its answer is TwiML that Twilio reads,
never a page a browser renders) gets the same headers, worked out once and copied onto each
answer, without a nonce (its answer has no script to carry one). Talisman otherwise works
each answer's headers out afresh, a nonce included: about a tenth of a webhook's own CPU,
on each of a call's ~19 webhooks, for a policy that never changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HSTS = "Strict-Transport-Security"
_MARK = "answers_machines"  # on a view whose answers only a machine reads (`for_machines`)
V = TypeVar("V", bound=Callable[..., Any])


def for_machines(view: V) -> V:
    """Mark a view whose answers a machine reads (Twilio's TwiML): fixed headers, no nonce."""
    setattr(view, _MARK, True)
    return view


def answers_machines() -> bool:
    """Whether this request's view is marked `for_machines` (kept on the request: asked by
    each of Talisman's hooks)."""
    known: bool | None = getattr(request, "_answers_machines", None)
    if known is None:
        view = current_app.view_functions.get(request.endpoint or "")
        known = bool(getattr(view, _MARK, False))
        request._answers_machines = known  # type: ignore[attr-defined]
    return known


class Headers(Talisman):  # type: ignore[misc]
    """Talisman, with the fixed headers of `for_machines` views worked out only once."""

    _fixed: dict[str, str] | None = None

    def _force_https(self) -> Response | None:
        if answers_machines():
            return None  # force_https is off: for a machine's answer it would do nothing
        return super()._force_https()  # type: ignore[no-any-return]

    def _make_nonce(self) -> None:
        if not answers_machines():
            super()._make_nonce()

    def _set_response_headers(self, response: Response) -> Response:
        if not answers_machines():
            return super()._set_response_headers(response)  # type: ignore[no-any-return]
        fixed = self._fixed
        if fixed is None:  # the first one: Talisman's own headers for it, HSTS aside
            super()._set_response_headers(scratch := Response())
            fixed = self._fixed = {k: v for k, v in scratch.headers.items()
                                   if k not in (HSTS, "Content-Type", "Content-Length")}
        response.headers.update(fixed)
        self._set_hsts_headers(response.headers)  # per request: https or not
        return response


def install(app: Flask, https: bool) -> None:
    Headers(
        app,
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_max_age=31536000,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
        # The cookie settings stay create_app's (Secure only when served over https).
        session_cookie_secure=https,
        session_cookie_http_only=True,
    )
