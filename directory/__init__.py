"""The services directory (HSDS), search, the specialist's lookup tool, screen pop, referrals."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Blueprints (JSON API, lookup page), the `directory` CLI and the staff link."""
    from accounts import add_staff_link
    from directory import api, cli, views

    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    cli.register(app)
    add_staff_link(app, "Directory lookup", "directory_views.lookup", "specialist", landing=True)
    add_staff_link(app, "Directory search feedback", "directory_views.search_feedback", "admin")
    if app.extensions["settings"].search_warm_start:
        from directory.search_loader import warm

        warm(app)
