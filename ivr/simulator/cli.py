"""Run a simulated call: `flask --app app simulate` (in-process) or `python -m ivr.simulator --url`.

Scripted: `--keys "1,say:Sudbury,2"` gives the caller's answers in order ("silence" for none);
interactive: `--interactive` asks you at each menu.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ivr.simulator.engine import CallerScript, Exchange, SimulationError, Specialist
from ivr.simulator.transport import FlaskTransport, HttpTransport, Transport

TORONTO = ZoneInfo("America/Toronto")


@dataclass
class SimClock:
    """A settable clock the in-process app reads, so `--at` sets the time of day."""

    current: datetime

    def __call__(self) -> datetime:
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value


def parse_at(value: str | None) -> datetime:
    if not value:
        return datetime.now(TORONTO)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TORONTO)


def ask_person(modes: str) -> str:
    hint = ("keys (e.g. 1)" if modes == "dtmf"
            else "keys or 'say: words'" if "dtmf" in modes else "'say: words'")
    answer = click.prompt(f"  your answer [{hint}, Enter for silence]", default="", show_default=False)
    return answer if answer.strip() else "silence"


def simulate(transport: Transport, caller: CallerScript, specialist: Specialist | None,
             start: datetime, clock: SimClock | None = None) -> Exchange:
    exchange = Exchange(transport, start, clock_sink=clock.set if clock else None)
    if caller.ask:  # a person is answering: show each line as it is spoken
        exchange.transcript.echo = click.echo
    exchange.place_call(caller, specialist)
    return exchange


def caller_script(from_number: str, keys: str, hangup_after: float | None,
                  interactive: bool) -> CallerScript:
    inputs = [k.strip() for k in keys.split(",") if k.strip()] if keys else []
    return CallerScript(from_number, inputs, hangup_in_queue_after=hangup_after,
                        ask=ask_person if interactive else None)


def run_in_process(app: Flask, caller: CallerScript, specialist: Specialist | None,
                   start: datetime) -> Exchange:
    settings = app.extensions["settings"]
    clock = SimClock(start)
    previous = app.extensions["clock"]
    app.extensions["clock"] = clock
    try:
        transport = FlaskTransport(app, settings.public_base_url, settings.twilio_auth_token)
        return simulate(transport, caller, specialist, start, clock)
    finally:
        app.extensions["clock"] = previous


COMMON = [
    click.option("--from", "from_number", default="+17055550123", show_default=True,
                 help="the caller's number (caller ID)"),
    click.option("--keys", default="", help='answers in order: "1", "say:Sudbury", "silence"'),
    click.option("--at", "at", default=None, help="time of day, ISO (America/Toronto if no zone)"),
    click.option("--specialist", default="demo", show_default=True,
                 help="the specialist's phone; 'demo': the demo specialist of whichever queue "
                      "the caller joins (flask specialists seed-demo); '' for none"),
    click.option("--answer-after", default=45.0, show_default=True,
                 help="seconds in queue before the specialist dials in"),
    click.option("--talk", default=180.0, show_default=True, help="seconds the call lasts"),
    click.option("--hangup-after", default=None, type=float,
                 help="the caller hangs up after this many seconds in queue"),
    click.option("--interactive", is_flag=True, help="answer the menus yourself"),
]


def with_common(func):  # type: ignore[no-untyped-def]
    for option in reversed(COMMON):
        func = option(func)
    return func


def specialist_of(number: str, answer_after: float, talk: float) -> Specialist | None:
    if number == "demo":
        from ivr.cli import demo_staff

        staff = demo_staff()
        return Specialist(next(iter(staff.values())), answer_after, talk, by_queue=staff)
    return Specialist(number, answer_after, talk) if number else None


def report(exchange: Exchange) -> None:
    if exchange.transcript.echo is None:
        click.echo(exchange.transcript.render())
    click.echo(f"\n({exchange.webhooks} signed webhooks answered)")


@click.command("simulate")
@with_common
@with_appcontext
def simulate_command(from_number: str, keys: str, at: str | None, specialist: str,
                     answer_after: float, talk: float, hangup_after: float | None,
                     interactive: bool) -> None:
    """Place a simulated call through this app, in-process, and print the transcript."""
    caller = caller_script(from_number, keys, hangup_after, interactive)
    try:
        exchange = run_in_process(current_app._get_current_object(), caller,  # type: ignore[attr-defined]
                                  specialist_of(specialist, answer_after, talk), parse_at(at))
    except SimulationError as err:
        raise click.ClickException(str(err)) from err
    report(exchange)


@click.command()
@click.option("--url", required=True, help="the running server, e.g. http://127.0.0.1:8211")
@click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN", default="dev-auth-token")
@click.option("--public-base-url", envvar="PUBLIC_BASE_URL", default=None)
@with_common
def main(url: str, auth_token: str, public_base_url: str | None, from_number: str, keys: str,
         at: str | None, specialist: str, answer_after: float, talk: float,
         hangup_after: float | None, interactive: bool) -> None:
    """Place a simulated call against a running server over HTTP (the server keeps its own clock)."""
    transport = HttpTransport(url, auth_token, public_base_url)
    caller = caller_script(from_number, keys, hangup_after, interactive)
    try:
        exchange = simulate(transport, caller, specialist_of(specialist, answer_after, talk),
                            parse_at(at))
    except SimulationError as err:
        click.echo(f"simulation failed: {err}", err=True)
        sys.exit(1)
    report(exchange)
