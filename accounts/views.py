"""Sign in and out."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from accounts.forms import LoginForm
from accounts.models import User
from config.database import db_session

bp = Blueprint("accounts", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    """Only follow same-site paths after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("accounts.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db_session().scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user and user.active and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "Wrong email or password."
    return render_template("login.html", form=form, error=error), 401 if error else 200  # type: ignore[return-value]


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/")
def home() -> str:
    return render_template("home.html")
