"""Where calls go: location, providers, live queue figures, bulletins and the admins' rules."""

from __future__ import annotations

from flask import Flask

from routing.store.bulletins import bulletin_cache


def register(app: Flask) -> None:
    from accounts import add_staff_link
    from routing import cli
    from routing.service import (
        CACHE_KEY,
        DISASTER_KEY,
        EFFECTIVE_KEY,
        EffectiveRules,
        PublishedDeployment,
    )
    from routing.store.disaster import disaster_cache
    from routing.store.published import rule_set_cache
    from routing.web import api, pages

    app.extensions["bulletins"] = bulletin_cache()
    app.extensions[CACHE_KEY] = rule_set_cache()
    app.extensions[DISASTER_KEY] = disaster_cache()
    app.extensions[EFFECTIVE_KEY] = EffectiveRules()
    app.extensions["deployment"] = PublishedDeployment()  # what every area reads as the deployment
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    cli.register(app)
    add_staff_link(app, "Routing rules", "routing_admin.overview", "admin", landing=True)
    add_staff_link(app, "Test a call", "routing_admin.test_call", "admin")
    add_staff_link(app, "Emergency bulletins", "routing_admin.bulletins", "admin")
    add_staff_link(app, "Disaster mode", "routing_admin.disaster.show", "admin")
    add_staff_link(app, "Routing audit log", "routing_admin.audit_log", "admin")
