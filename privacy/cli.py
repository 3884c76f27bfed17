"""`flask --app app privacy ...`: retention purge (for cron), and callers' access requests."""

from __future__ import annotations

import getpass
import json
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from config.clock import now
from config.database import session_scope
from config.extensions import caller_hasher
from privacy import access
from privacy.retention import caller_hash_retention
from survey import contacts, retention

privacy_cli = AppGroup("privacy", help="Callers' data: retention purge, export, erasure.")

NUMBER = click.option("--number", required=True, help="The caller's phone number (any format).")
BY = click.option("--by", "operator", default=None,
                  help="Who handles the request (audited; default: the OS user).")
REFERENCE = click.option("--reference", default=None, help="The request's ticket (audited).")


@privacy_cli.command("purge")
def purge_cmd() -> None:
    """Erase follow-up numbers and call-record pseudonyms past their retention (cron-safe)."""
    click.echo(retention.purge_now(current_app).summary())


def _windows() -> tuple[timedelta, timedelta]:
    return caller_hash_retention(), contacts.policy().retention


@privacy_cli.command("export")
@NUMBER
@BY
@REFERENCE
def export_cmd(number: str, operator: str | None, reference: str | None) -> None:
    """Print (JSON) everything held about a number: calls, follow-ups, answers, referrals."""
    at = now()
    with session_scope(current_app) as db:
        found = access.find(db, caller_hasher(), number, at, *_windows())
        body = access.export(found)
        access.audit(db, "export", at, operator or getpass.getuser(), reference, found)
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@privacy_cli.command("erase")
@NUMBER
@BY
@REFERENCE
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_cmd(number: str, operator: str | None, reference: str | None, yes: bool) -> None:
    """Erase a number: call records pseudonymised, answers kept only as counts, follow-ups removed."""
    at = now()
    with session_scope(current_app) as db:
        found = access.find(db, caller_hasher(), number, at, *_windows())
        counts = found.counts()
        if not yes:
            click.confirm(f"Erase {json.dumps(counts)}?", abort=True)
        access.erase(db, found)
        access.audit(db, "erase", at, operator or getpass.getuser(), reference, found)
    click.echo("erased: " + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()))


def register(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
