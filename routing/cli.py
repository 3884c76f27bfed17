"""`flask --app app routing ...`: seed, explain a call, validate, publish and roll back, and
disaster mode on and off."""

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
from routing.engine.explain import ExplainError, explain_call, parse_at
from routing.engine.ruleset import RuleSetInvalid, parse_ruleset
from routing.engine.validation import validate
from routing.store import disaster
from routing.store.queue_figures import QueueFigures
from routing.store.versions import (
    PublishRefused,
    publish,
    rollback,
    rules_changed,
    rules_document,
    seed,
    version_dict,
)

routing_cli = AppGroup("routing", help="Routing rules: seed, explain, validate, publish, rollback.")
CLI_ACTOR = "cli"


@routing_cli.command("seed")
def seed_cmd() -> None:
    """Publish the default Ontario rule set as version 1 if nothing is published."""
    with session_scope(current_app) as db:
        version = seed(db, now(), CLI_ACTOR)
    rules_changed(store())  # after the commit: every worker loads it
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
        except (ExplainError, RuleSetInvalid, LookupError) as exc:
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
    try:
        with session_scope(current_app) as db:
            version = publish(db, data_files(), CLI_ACTOR, now(), note)
            answer = version_dict(version)
    except PublishRefused as exc:
        raise click.ClickException(json.dumps(exc.report.to_dict(), indent=2)) from exc
    rules_changed(store())
    click.echo(json.dumps(answer))


@routing_cli.command("rollback")
@click.argument("number", type=int)
def rollback_cmd(number: int) -> None:
    """Publish a copy of version NUMBER as the newest version."""
    try:
        with session_scope(current_app) as db:
            version = rollback(db, data_files(), number, CLI_ACTOR, now())
            answer = version_dict(version)
    except (LookupError, PublishRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    rules_changed(store())
    click.echo(json.dumps(answer))


@routing_cli.command("disaster")
@click.argument("state", type=click.Choice(["status", "on", "off"]))
@click.option("--event", default=None, help="on: the event's name, as callers hear it")
@click.option("--bulletin-en", default=None)
@click.option("--bulletin-fr", default=None)
@click.option("--info-en", default=None, help="on: recorded information, how to donate or volunteer")
@click.option("--info-fr", default=None)
def disaster_cmd(state: str, event: str | None, bulletin_en: str | None, bulletin_fr: str | None,
                 info_en: str | None, info_fr: str | None) -> None:
    """Disaster mode: show it, turn it on (every text required) or off; prints JSON."""
    texts = {"event": event, "bulletin_en": bulletin_en, "bulletin_fr": bulletin_fr,
             "info_en": info_en, "info_fr": info_fr}
    with session_scope(current_app) as db:
        if state == "status":
            mode = disaster.latest(db)
        elif state == "on":
            try:
                mode = disaster.turn_on(db, CLI_ACTOR, now(), disaster.clean(texts))
            except disaster.DisasterInvalid as exc:
                click.echo(f"not turned on: {exc}", err=True)
                sys.exit(2)
        else:
            mode = disaster.turn_off(db, CLI_ACTOR, now())
    if state != "status":
        disaster.disaster_changed(store())  # after the commit: every worker follows
    click.echo(json.dumps(disaster.as_dict(mode), ensure_ascii=False, indent=2))


def register(app: Flask) -> None:
    app.cli.add_command(routing_cli)
