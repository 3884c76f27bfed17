"""Who is asking: the signed-in user (pages) or the API token's user (JSON API), and their role.

Pages use `page_role_required`; the JSON API uses `api_role_required`, which accepts a bearer
token, or a signed-in session plus an `X-CSRFToken` header for writes from our own pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, g, jsonify, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from accounts.models import User, token_digest
from config.database import db_session

login_manager = LoginManager()
login_manager.login_view = "accounts.login"

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session's user, checked on every request: still active, and signed in since the
    last sign-out, deactivation or password change (`User.session_version`)."""
    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def page_role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for signed-in staff with one of `roles`; others are sent to sign in, or get 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.path))
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def user_from_token() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header.removeprefix("Bearer ").strip()
    if not token:
        return None
    return db_session().scalar(
        select(User).where(User.api_token_digest == token_digest(token), User.active.is_(True)))


def api_error(status: int, reason: str) -> Any:
    return jsonify({"error": reason}), status


def api_role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """JSON API access: 401 with no credentials, 403 with the wrong role or a missing CSRF token."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = user_from_token()
            if user is None and current_user.is_authenticated:
                user = current_user._get_current_object()  # type: ignore[attr-defined]
                if request.method not in SAFE_METHODS and not csrf_header_valid():
                    return api_error(403, "missing or invalid X-CSRFToken header")
            if user is None:
                return api_error(401, "sign in or send 'Authorization: Bearer <token>'")
            if not any(user.has_role(role) for role in roles):
                return api_error(403, f"requires role: {' or '.join(roles)}")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorate


def csrf_header_valid() -> bool:
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except (ValidationError, CSRFError):
        return False
    return True


def api_user() -> User:
    return g.api_user
