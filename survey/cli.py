"""`flask --app app survey ...`: the report, the follow-up worker, and the number purge.

The worker delivers what the outbox still owes when it starts, then sweeps it every
`config.outbox.SWEEP_SECONDS` while it runs (`flask outbox sweep` does it once, for cron).
"""

from __future__ import annotations

import json
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from rq import SimpleWorker

from config.clock import now
from config.database import session_scope
from config.extensions import deployment
from survey import jobs
from survey.reports.build import full_report
from survey.reports.export import to_csv
from survey.reports.period import Period

survey_cli = AppGroup("survey", help="Caller surveys: reports, follow-up worker, purge.")


@survey_cli.command("report")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
def report_cmd(start: object, end: object, fmt: str) -> None:
    """Print the report for the days FROM to TO inclusive."""
    try:
        period = Period(_day(start), _day(end), deployment().timezone)
    except ValueError as err:
        raise click.BadParameter(str(err)) from err
    with session_scope(current_app) as db:
        report = full_report(db, period)
    click.echo(to_csv(report) if fmt == "csv" else json.dumps(report, indent=2, default=str),
               nl=fmt != "csv")


def _day(value: object) -> date:
    return value.date()  # type: ignore[attr-defined]


@survey_cli.command("worker")
@click.option("--burst", is_flag=True, help="run the jobs that are due, then exit")
def worker_cmd(burst: bool) -> None:
    """Run the outcome-survey jobs, with rq's scheduler for the ones set for later."""
    queue = jobs.queue()
    if queue is None:
        raise click.ClickException("set REDIS_URL: the follow-up jobs live in Redis")
    outbox = current_app.extensions["outbox"]
    click.echo(f"{outbox.sweep()} owed job(s) scheduled from the outbox")
    _sweep()
    _purge()  # retention does not wait for a scheduled job that a Redis restart may have lost
    if not burst:  # what an enqueue could not deliver (Redis away at the time) goes out later
        outbox.start_sweeper()
    # SimpleWorker runs jobs in this process, inside this app context (no fork per job).
    SimpleWorker([queue], connection=queue.connection).work(with_scheduler=True, burst=burst)


@survey_cli.command("sweep")
def sweep_cmd() -> None:
    """Schedule every open follow-up again from the database (after Redis lost its jobs)."""
    if jobs.queue() is None:
        raise click.ClickException("set REDIS_URL: the follow-up jobs live in Redis")
    _sweep()


def _sweep() -> None:
    with session_scope(current_app) as db:
        click.echo(f"{jobs.sweep(db, now())} follow-up contact(s) scheduled from the database")


@survey_cli.command("purge")
def purge_cmd() -> None:
    """Erase follow-up numbers and caller pseudonyms past retention (as `privacy purge`)."""
    _purge()


def _purge() -> None:
    from survey import retention

    click.echo(retention.purge_now(current_app).summary())


def register(app: Flask) -> None:
    app.cli.add_command(survey_cli)
