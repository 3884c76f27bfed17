"""Security headers on every answer (Flask-Talisman): CSP, framing, nosniff, referrer, HSTS.

The pages load their scripts and styles from this app only; the few inline `<script>` blocks
carry the request's nonce (`{{ csp_nonce() }}`). Styles may be inline (the pages use `style=`
attributes; CSS cannot run script). Nothing may frame the pages. HSTS is sent on https
requests (directly or through a proxy that says `X-Forwarded-Proto: https`); TLS itself and
the http-to-https redirect belong to the proxy in front, so Talisman does not redirect.
"""

from __future__ import annotations

from flask import Flask
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


def install(app: Flask, https: bool) -> None:
    Talisman(
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
