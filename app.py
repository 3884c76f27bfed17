"""Application factory: wires settings, database, shared store and each area's blueprints."""

from __future__ import annotations

import logging
import secrets

from flask import Flask

from config import api_schema, database, demo_clock, headers, health, url_ids
from config.breaker import Breaker
from config.call_lines import check_crisis_number
from config.clock import Clock, system_clock
from config.durable import DurableWriter
from config.journal import Journal
from config.ontario import data_files
from config.pseudonym import CallerHasher
from config.settings import Settings
from config.shared_store import SharedStore, guard, make_store


def create_app(
    settings: Settings | None = None,
    *,
    store: SharedStore | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the app. `store` and `clock` are injectable so tests and the simulator control them."""
    settings = settings or Settings.from_env()
    settings.check_production_secrets()
    data_files()  # the data files are read, and checked, at start: bad data stops it here
    check_crisis_number(settings.crisis_line_number)
    https = settings.is_https
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        # Development only (production refuses to start without SECRET_KEY): one key per process.
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        TESTING=settings.testing,
        WTF_CSRF_ENABLED=not settings.testing or settings.csrf_in_tests,
        # Staff sign-in cookies: never to scripts or other sites, only over HTTPS when served so.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        # No request body we accept comes near this (webhooks and JSON are a few KB).
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
    )
    app.extensions["settings"] = settings
    url_ids.install(app)
    cooldown = settings.breaker_cooldown_seconds
    store_breaker = app.extensions["store_breaker"] = Breaker("redis", cooldown)
    app.extensions["db_breaker"] = Breaker("database", cooldown)
    raw_store = store or make_store(settings.redis_url, timeout=settings.redis_timeout_seconds)
    app.extensions["store"] = guard(raw_store, store_breaker)
    app.extensions["store_namespace"] = getattr(raw_store, "ns", "h211")
    app.extensions["clock"] = clock or system_clock
    if settings.demo_clock:
        demo_clock.install(app)
    app.extensions["caller_hasher"] = CallerHasher(
        settings.caller_hash_key, settings.caller_hash_period_days, settings.caller_hash_cost)
    webhook_waits = database.Waits(connect=settings.db_connect_timeout_seconds,
                                   read=settings.webhook_db_timeout_seconds,
                                   pool=settings.webhook_db_timeout_seconds, pre_ping=False)
    database.init_app(app, settings.database_url, webhook_waits)
    app.extensions["durable"] = DurableWriter(app.extensions["webhook_sessionmaker"],
                                              Journal(settings.journal_file),
                                              app.extensions["db_breaker"],
                                              context=app.app_context,
                                              single=app.extensions["webhook_single_sessionmaker"])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    health.register(app)
    headers.install(app, https)

    from accounts import register as register_accounts
    from config.cli import register as register_cli
    from config.errors import register as register_errors
    from demo import register as register_demo
    from directory import register as register_directory
    from ivr import register as register_ivr
    from needs import register as register_needs
    from privacy.cli import register as register_privacy
    from routing import register as register_routing
    from survey import register as register_survey

    register_errors(app)
    register_accounts(app)
    register_ivr(app)
    register_routing(app)
    register_directory(app)
    register_survey(app)
    register_privacy(app)
    register_needs(app)
    register_cli(app)
    register_demo(app)
    api_schema.register(app)  # /api/openapi.json, from the routes registered above
    return app
