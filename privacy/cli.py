"""`flask --app app privacy ...`: retention purge (for cron), and callers' access requests."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from config.clock import now
from config.database import session_scope
from survey import retention

privacy_cli = AppGroup("privacy", help="Callers' data: retention purge, export, erasure.")


@privacy_cli.command("purge")
def purge_cmd() -> None:
    """Erase follow-up numbers and call-record pseudonyms past their retention (cron-safe)."""
    with session_scope(current_app) as db:
        result = retention.purge_all(db, now())
    click.echo(f"erased {result.numbers_erased} phone number(s), removed "
               f"{result.caller_hashes_removed} caller pseudonym(s)")


def register(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
