"""Callers' privacy: retention purges, and answering a caller's request for their data."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from privacy import cli

    cli.register(app)
