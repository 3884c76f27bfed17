"""`flask --app app privacy ...`: retention purge (for cron), and callers' access requests."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from survey import retention

privacy_cli = AppGroup("privacy", help="Callers' data: retention purge, export, erasure.")


@privacy_cli.command("purge")
def purge_cmd() -> None:
    """Erase follow-up numbers and call-record pseudonyms past their retention (cron-safe)."""
    click.echo(retention.purge_now(current_app).summary())


def register(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
