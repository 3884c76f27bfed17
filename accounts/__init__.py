"""Staff accounts: sign-in for the admin, specialist and planner pages, API tokens, roles."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from config.errors import add_error_renderer


@dataclass(frozen=True)
class StaffLink:
    label: str
    endpoint: str
    role: str


def add_staff_link(app: Flask, label: str, endpoint: str, role: str) -> None:
    """Each area lists its pages on the staff home page, shown to the roles that may use them."""
    app.extensions.setdefault("staff_links", []).append(StaffLink(label, endpoint, role))


def register(app: Flask) -> None:
    from accounts import cli, throttle, views
    from accounts.auth import login_manager

    login_manager.init_app(app)
    # base.html puts csrf_token() in every form; forms built without FlaskForm need it as a global.
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.register_blueprint(views.bp)
    throttle.install(app, "accounts.login")
    add_error_renderer(app, "/login", views.too_many_attempts)
    cli.register(app)

    @app.context_processor
    def staff_links() -> dict[str, object]:
        if not current_user.is_authenticated:
            return {"staff_links": []}
        links = app.extensions.get("staff_links", [])
        return {"staff_links": [{"label": link.label, "url": url_for(link.endpoint)}
                                for link in links if current_user.has_role(link.role)]}
