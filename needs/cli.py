"""`flask --app app needs report ...`: the needs-and-gaps report (or its open data) from the shell."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from config.database import session_scope
from needs.reports.api import scope_from_args
from needs.reports.build import needs_report
from needs.reports.open_data import open_data, to_csv

needs_cli = AppGroup("needs", help="Contact records: the needs-and-gaps report and its open data.")


@needs_cli.command("report")
@click.option("--from", "start", required=True, help="first day, YYYY-MM-DD")
@click.option("--to", "end", required=True, help="last day, YYYY-MM-DD")
@click.option("--region", default="", help="one region id")
@click.option("--fsa", default="", help="one forward sortation area, e.g. K1A")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--open-data", "public", is_flag=True, help="withhold small cells, for sharing outside")
def report_cmd(start: str, end: str, region: str, fsa: str, fmt: str, public: bool) -> None:
    """Print needs by taxonomy (rolled up), gaps and their reasons, months, regions and FSAs."""
    try:
        scope = scope_from_args({"from": start, "to": end, "region": region, "fsa": fsa})
    except ValueError as err:
        raise click.BadParameter(str(err)) from err
    with session_scope(current_app) as db:
        report = needs_report(db, scope)
    if public:
        report = open_data(report, current_app.extensions["settings"].open_data_min_cell)
    click.echo(to_csv(report) if fmt == "csv" else json.dumps(report, indent=2, default=str),
               nl=fmt != "csv")


def register(app: Flask) -> None:
    app.cli.add_command(needs_cli)
