"""Sign-in throttling: failed attempts are limited per account and per address (Flask-Limiter).

Only failures count (`deduct_when`: the sign-in page answers 401 to a wrong password), but the
check runs before the password is looked at, so once an account or an address is over its
limit even the right password waits. The counters live in Redis when `REDIS_URL` is set (all
workers share them), in the process otherwise; a Redis that is down never blocks sign-in
(errors are swallowed and the in-process store takes over).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from config.settings import Settings


def account_key() -> str:
    return "account:" + request.form.get("email", "").strip().lower()[:200]


def address_key() -> str:
    return "address:" + (get_remote_address() or "unknown")


def failed(response: Response) -> bool:
    return response.status_code == 401


def install(app: Flask, endpoint: str) -> Limiter:
    """One limiter per app (tests build many apps in one process), wrapped around `endpoint`."""
    cfg: Settings = app.extensions["settings"]
    # redis-py takes seconds as floats; limits' annotation says str | int
    timeout: Any = cfg.redis_timeout_seconds
    limiter = Limiter(
        key_func=address_key, app=app,
        storage_uri=cfg.redis_url or "memory://",
        storage_options={"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if cfg.redis_url else {},
        key_prefix=f"{app.extensions.get('store_namespace', 'h211')}:signin",
        swallow_errors=True, in_memory_fallback_enabled=bool(cfg.redis_url),
        headers_enabled=False, strategy="moving-window",
    )
    view: Any = app.view_functions[endpoint]
    view = limiter.limit(cfg.signin_limit_per_account, key_func=account_key, methods=["POST"],
                         deduct_when=failed, scope="account")(view)
    view = limiter.limit(cfg.signin_limit_per_address, key_func=address_key, methods=["POST"],
                         deduct_when=failed, scope="address")(view)
    app.view_functions[endpoint] = view
    app.extensions["limiter"] = limiter
    _skip_middleware_check(app, limiter)
    return limiter


def _skip_middleware_check(app: Flask, limiter: Limiter) -> None:
    """Drop the limiter's check from before every request: the only limits are the two on
    the sign-in view, which its decorators check themselves (there are no default,
    application or blueprint limits for the middleware to find), so on every other request,
    every webhook above all, the middleware only resolved an empty set of limits (#16)."""
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if getattr(hook, "__self__", None) is not limiter]
