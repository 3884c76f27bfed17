"""Sign in and out."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from accounts import landing_endpoint
from accounts.forms import LoginForm, LogoutForm
from accounts.models import User
from config.database import commit, db_session

bp = Blueprint("accounts", __name__, template_folder="templates")


def _safe_next(target: str | None, default: str | None = None) -> str:
    """Only follow a same-site path after sign-in (no open redirect).

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    `/<tab>/evil.example` or `/\\evil.example` would leave the site: any control character,
    space or backslash refuses the target, and what is left must be a plain path.
    """
    if not target:
        return default or url_for("accounts.home")
    if not target.startswith("/") or target.startswith("//"):
        return url_for("accounts.home")
    if any(ch == "\\" or ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return url_for("accounts.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("accounts.home")
    return target


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of nothing in particular, checked for unknown emails so they take as long."""
    return generate_password_hash("no such account: equal time")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password; always runs one password hash check, so
    an unknown (or deactivated) account answers in the same time as a wrong password."""
    user = db_session().scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if user.check_password(password) else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            landing = url_for(landing_endpoint(current_app, user))
            return redirect(_safe_next(request.args.get("next"), landing))
        error = "Wrong email or password."
    return render_template("login.html", form=form, error=error), 401 if error else 200  # type: ignore[return-value]


def too_many_attempts(err: HTTPException) -> FlaskResponse | None:
    """The throttle's 429 as the sign-in page with the reason (other errors: Flask's own)."""
    if err.code != 429:
        return None
    body = render_template("login.html", form=LoginForm(),
                           error="Too many failed sign-ins for this account or address: "
                                 "wait a few minutes and try again.")
    return FlaskResponse(body, status=429, mimetype="text/html")


ERROR_WORDS = {
    400: ("This request could not be used",
          "The form may have expired or come from elsewhere: go back, reload the page and try again."),
    403: ("You cannot open this page",
          "Your account's role does not include this page. If you need it, ask an admin."),
    404: ("Page not found", "Nothing is here: the address may be mistyped, or the item was deleted."),
    405: ("Not available this way", "This address does not answer that kind of request."),
}


def error_page(err: HTTPException) -> FlaskResponse | None:
    """A staff page's error as a page of the site, saying what happened and where to go next
    (the start page of the user's role, or sign-in); 5xx stay Flask's own."""
    code = err.code or 500
    if code >= 500:
        return None
    title, words = ERROR_WORDS.get(code, (err.name, err.description or ""))
    back = url_for(landing_endpoint(current_app, current_user)) \
        if current_user.is_authenticated else url_for("accounts.login")
    body = render_template("error.html", code=code, title=title, words=words, back=back)
    return FlaskResponse(body, status=code, mimetype="text/html")


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Signing out ends every session of the account (a copied cookie stops working too)."""
    if not LogoutForm().validate_on_submit():
        abort(400, "the sign-out form's CSRF token is missing or invalid")
    user = db_session().get(User, current_user.id)
    if user is not None:
        user.end_sessions()
        commit(db_session())
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/")
def home() -> str:
    return render_template("home.html")
