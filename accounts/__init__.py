"""Staff accounts: sign-in for the admin, specialist and planner pages, API tokens, roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from config.errors import add_error_renderer, set_page_renderer
from config.extensions import local_zone


@dataclass(frozen=True)
class StaffLink:
    label: str
    endpoint: str
    role: str
    landing: bool = False


def add_staff_link(app: Flask, label: str, endpoint: str, role: str, *,
                   landing: bool = False) -> None:
    """Each area lists its pages on the staff home page, shown to the roles that may use them.

    `landing`: the page a user of exactly this role starts on after signing in (a specialist
    on the lookup page, a planner on the reports, an admin on the routing rules)."""
    app.extensions.setdefault("staff_links", []).append(StaffLink(label, endpoint, role, landing))


def landing_endpoint(app: Flask, user: Any) -> str:
    """Where `user` starts after signing in: their own role's landing page, else the first
    landing page their role may use (a supervisor: the specialists'), else the staff home."""
    links = [link for link in app.extensions.get("staff_links", []) if link.landing]
    role = user.role
    own = [link for link in links if link.role == role]
    usable = own or [link for link in links if user.has_role(link.role)]
    return usable[0].endpoint if usable else "accounts.home"


def local_time(value: datetime | None, seconds: bool = False) -> str:
    """A stored time (UTC) as staff read it: in the deployment's time zone, named (EST/EDT)."""
    if value is None:
        return "—"
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S %Z" if seconds
                                                   else "%Y-%m-%d %H:%M %Z")


def register(app: Flask) -> None:
    from accounts import cli, throttle, views
    from accounts.auth import login_manager

    login_manager.init_app(app)
    # base.html puts csrf_token() in every form; forms built without FlaskForm need it as a global.
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.add_template_filter(local_time, "local_time")
    app.register_blueprint(views.bp)
    throttle.install(app, "accounts.login")
    add_error_renderer(app, "/login", views.too_many_attempts)
    set_page_renderer(app, views.error_page)
    cli.register(app)

    @app.context_processor
    def staff_links() -> dict[str, object]:
        if not current_user.is_authenticated:
            return {"staff_links": []}
        links = app.extensions.get("staff_links", [])
        return {"staff_links": [{"label": link.label, "url": url_for(link.endpoint)}
                                for link in links if current_user.has_role(link.role)]}
