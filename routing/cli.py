"""`flask --app app routing ...`: seed, explain a call, validate, publish and roll back."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from config.clock import now
from config.database import session_scope
from config.extensions import store
from config.ontario import data_files
from routing.explain import ExplainError, explain_call, parse_at, rules_document
from routing.queue_figures import QueueFigures
from routing.ruleset import RuleSetInvalid, parse_ruleset
from routing.validation import validate
from routing.versions import PublishRefused, publish, rollback, seed, version_dict

routing_cli = AppGroup("routing", help="Routing rules: seed, explain, validate, publish, rollback.")
CLI_ACTOR = "cli"


@routing_cli.command("seed")
def seed_cmd() -> None:
    """Publish the default Ontario rule set as version 1 if nothing is published."""
    with session_scope(current_app) as db:
        version = seed(db, store(), now(), CLI_ACTOR)
        click.echo(f"published rule set: version {version.number}")


@routing_cli.command("explain")
@click.option("--from", "caller", default=None, help="caller ID, e.g. +17055550123")
@click.option("--at", "at_text", default=None, help="local time, e.g. 2026-12-25T03:00 (default: now)")
@click.option("--language", default="en", show_default=True)
@click.option("--need", default=None)
@click.option("--region", default=None, help="override the region found from the number")
@click.option("--interpreter", default=None, help="interpreter language code, e.g. pa")
@click.option("--rules", "which", default="draft", show_default=True,
              help="draft, published, or a version number")
def explain_cmd(caller: str | None, at_text: str | None, language: str, need: str | None,
                region: str | None, interpreter: str | None, which: str) -> None:
    """Where would this call go, and why? Prints JSON."""
    with session_scope(current_app) as db:
        try:
            doc, number, label = rules_document(db, which)
            rs = parse_ruleset(doc)
            at = parse_at(at_text, rs.timezone, now())
            figures = QueueFigures(store())
            live = {pid: figures.snapshot(pid, at.timestamp()) for pid in rs.providers}
            result = explain_call(doc, data_files(), caller=caller, at=at, language=language,
                                  need=need, region=region, interpreter=interpreter,
                                  figures=live, version=number, label=label)
        except (ExplainError, RuleSetInvalid) as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


@routing_cli.command("validate")
@click.option("--rules", "which", default="draft", show_default=True)
def validate_cmd(which: str) -> None:
    """Validate the draft (or a version); exits 1 when it could not be published."""
    with session_scope(current_app) as db:
        doc, _number, _label = rules_document(db, which)
    report = validate(doc, data_files())
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    sys.exit(0 if report.ok else 1)


@routing_cli.command("publish")
@click.option("--note", default="", help="why (kept in the audit log)")
def publish_cmd(note: str) -> None:
    """Validate the draft and publish it as the next version."""
    with session_scope(current_app) as db:
        try:
            version = publish(db, data_files(), store(), CLI_ACTOR, now(), note)
        except PublishRefused as exc:
            raise click.ClickException(json.dumps(exc.report.to_dict(), indent=2)) from exc
        click.echo(json.dumps(version_dict(version)))


@routing_cli.command("rollback")
@click.argument("number", type=int)
def rollback_cmd(number: int) -> None:
    """Publish a copy of version NUMBER as the newest version."""
    with session_scope(current_app) as db:
        try:
            version = rollback(db, data_files(), store(), number, CLI_ACTOR, now())
        except (LookupError, PublishRefused) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps(version_dict(version)))


def register(app: Flask) -> None:
    app.cli.add_command(routing_cli)
