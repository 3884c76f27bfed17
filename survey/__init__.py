"""The post-call survey, the outcome follow-up, and the reports on them."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from accounts import add_staff_link
    from survey import cli, dashboard, hook, jobs, outcome
    from survey.reports import api

    app.register_blueprint(hook.bp)
    app.register_blueprint(outcome.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(dashboard.bp)
    jobs.install(app)
    cli.register(app)
    add_staff_link(app, "Caller survey and call reports", "survey_dashboard.dashboard", "planner",
                   landing=True)
