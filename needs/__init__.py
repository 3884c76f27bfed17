"""The specialist's contact record of each call (needs coded, met or unmet and why) and the
needs-and-gaps reports planners read from those records."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from accounts import add_staff_link
    from needs import api, cli, pages
    from needs.page_config import contact_record_config
    from needs.reports import api as reports_api

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(reports_api.bp)
    cli.register(app)
    app.jinja_env.globals["contact_record_config"] = contact_record_config
    add_staff_link(app, "Follow-ups due", "needs_pages.follow_ups", "specialist")
    add_staff_link(app, "Calls without a finished contact record", "needs_pages.incomplete",
                   "supervisor")
