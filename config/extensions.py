"""Typed accessors for what `create_app` puts on the app, so views never reach into dicts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app

from config.durable import DurableWriter
from config.ontario import Deployment, DeploymentSource
from config.pseudonym import CallerHasher
from config.settings import Settings
from config.shared_store import SharedStore


def settings() -> Settings:
    return current_app.extensions["settings"]


def store() -> SharedStore:
    return current_app.extensions["store"]


def caller_hasher() -> CallerHasher:
    return current_app.extensions["caller_hasher"]


def writer() -> DurableWriter:
    """Where call records and survey answers go: the database, or the journal while it is down."""
    return current_app.extensions["durable"]


def deployment() -> Deployment:
    """The live deployment: the published rule set laid over the data files (regions,
    providers, geography, languages, timezone). Every area reads this one, so what an admin
    publishes is what routing, the directory, reports and tools see, without a restart."""
    source: DeploymentSource = current_app.extensions["deployment"]
    return source.current()


def local_zone() -> ZoneInfo:
    """The deployment's time zone (reports' days, the follow-up window, "open now")."""
    return ZoneInfo(deployment().timezone)
