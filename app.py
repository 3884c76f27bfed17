"""Application factory: wires settings, database, shared store and each area's blueprints."""

from __future__ import annotations

import logging
import secrets

from flask import Flask

from config import database
from config.clock import Clock, system_clock
from config.pseudonym import CallerHasher
from config.settings import Settings
from config.shared_store import SharedStore, make_store


def create_app(
    settings: Settings | None = None,
    *,
    store: SharedStore | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the app. `store` and `clock` are injectable so tests and the simulator control them."""
    settings = settings or Settings.from_env()
    settings.check_production_secrets()
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
    )
    app.extensions["settings"] = settings
    app.extensions["store"] = store or make_store(settings.redis_url)
    app.extensions["clock"] = clock or system_clock
    app.extensions["caller_hasher"] = CallerHasher(
        settings.caller_hash_key, settings.caller_hash_period_days, settings.caller_hash_cost)
    database.init_app(app, settings.database_url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness for load balancers: the app answers and the shared store is reachable."""
        return {"status": "ok" if app.extensions["store"].ping() else "degraded"}

    from accounts import register as register_accounts
    from config.cli import register as register_cli
    from config.errors import register as register_errors
    from directory import register as register_directory
    from ivr import register as register_ivr
    from privacy import register as register_privacy
    from routing import register as register_routing
    from survey import register as register_survey

    register_errors(app)
    register_accounts(app)
    register_ivr(app)
    register_routing(app)
    register_directory(app)
    register_survey(app)
    register_privacy(app)
    register_cli(app)
    return app
