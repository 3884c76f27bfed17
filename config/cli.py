"""`flask --app app db ...`: schema migrations with Alembic, on SQLite and PostgreSQL alike;
`flask --app app outbox sweep`: deliver the effects still owed (see `config.outbox`)."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup

from config.settings import PROJECT_ROOT

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(PROJECT_ROOT) / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def upgrade_cmd(revision: str) -> None:
    """Bring the schema up to REVISION (default: the newest)."""
    upgrade(current_app.extensions["settings"].database_url, revision)
    click.echo(f"database upgraded to {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_cmd(revision: str) -> None:
    """Take the schema back to REVISION."""
    command.downgrade(alembic_config(current_app.extensions["settings"].database_url), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision_cmd(message: str) -> None:
    """Autogenerate a migration from the models (review it before committing)."""
    cfg = alembic_config(current_app.extensions["settings"].database_url)
    command.revision(cfg, message=message, autogenerate=True)


outbox_cli = AppGroup("outbox", help="Effects owed to other systems (rq jobs), kept in the database.")


@outbox_cli.command("sweep")
def outbox_sweep_cmd() -> None:
    """Deliver what is still owed (cron may run it; the survey worker also sweeps)."""
    outbox = current_app.extensions["outbox"]
    delivered = outbox.sweep()
    owed = outbox.owed()
    click.echo(f"delivered {delivered} owed effect(s); {owed} still owed")
    if owed:
        raise SystemExit(1)  # cron mails it: the other system is still away


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(outbox_cli)
