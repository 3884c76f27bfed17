"""Typed accessors for what `create_app` puts on the app, so views never reach into dicts."""

from __future__ import annotations

from flask import current_app

from config.durable import DurableWriter
from config.settings import Settings
from config.shared_store import SharedStore


def settings() -> Settings:
    return current_app.extensions["settings"]


def store() -> SharedStore:
    return current_app.extensions["store"]


def writer() -> DurableWriter:
    """Where call records and survey answers go: the database, or the journal while it is down."""
    return current_app.extensions["durable"]
