"""Run a simulated call: `flask --app app simulate` (in-process) or `python -m ivr.simulator --url`.

Scripted: `--keys "1,say:Sudbury,2"` gives the caller's answers in order ("silence" for none,
"hangup" to hang up); once they run out the demo's typical caller answers (`--then silence`
for a caller who says nothing more). Interactive: `--interactive` asks you at each menu.
`--control warm-transfer` (and the others in `ivr.simulator.controls`): mid-call the
specialist's page (or a supervisor's board) uses a call control, with their API tokens.
"""

from __future__ import annotations

import sys
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ivr.simulator.controls import CONTROLS, SPECIALIST, SUPERVISOR, Control, Poster, during_call
from ivr.simulator.engine import HANGUP, CallerScript, Exchange, SimulationError, Specialist
from ivr.simulator.rest_http import RestServer
from ivr.simulator.transport import FlaskTransport, HttpTransport, NotOurServer, Transport

TORONTO = ZoneInfo("America/Toronto")
# A Wednesday afternoon: the demo caller (Sudbury) reaches 211 North, whose demo phone the
# demo specialist's sign-in is linked to, so a --control call is theirs to act on.
CONTROL_AT = "2026-12-02T14:00"


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
    """The interactive caller's answer; 'hangup' (or Ctrl-D, Ctrl-C) hangs up."""
    hint = ("keys (e.g. 1)" if modes == "dtmf"
            else "keys or 'say: words'" if "dtmf" in modes else "'say: words'")
    try:
        answer = click.prompt(f"  your answer [{hint}, Enter for silence, 'hangup' to hang up]",
                              default="", show_default=False)
    except click.Abort:  # Ctrl-D or Ctrl-C at the prompt: the caller puts the phone down
        click.echo()
        return HANGUP
    return answer if answer.strip() else "silence"


# What the demo's caller answers at each menu once `--keys` run out: English, Sudbury (705
# spans two regions, so a 705 caller is asked), housing; then the survey. Options such as
# `--at` or `--from` add to this script instead of leaving a silent caller.
TYPICAL_MENU = {"/voice/language": "1", "/voice/location": "say:Sudbury", "/voice/need": "2",
                "/voice/interpreter": "say:Punjabi"}
TYPICAL_SURVEY = {"satisfaction": "5", "call_again": "1", "better_prepared": "say:yes",
                  "consent": "3"}  # 3: no follow-up


def typical_answer(action: str, modes: str) -> str:
    """The demo caller's answer to the Gather posting to `action` ('silence' if unknown)."""
    parts = urllib.parse.urlsplit(action)
    if parts.path in TYPICAL_MENU:
        answer = TYPICAL_MENU[parts.path]
    else:
        question = urllib.parse.parse_qs(parts.query).get("q", [""])[0]
        answer = TYPICAL_SURVEY.get(question, "silence") if parts.path.startswith("/survey/") \
            else "silence"
    speech = answer.startswith("say:")
    return answer if ("speech" in modes if speech else "dtmf" in modes) else "silence"


def simulate(transport: Transport, caller: CallerScript, specialist: Specialist | None,
             start: datetime, clock: SimClock | None = None, app: Flask | None = None,
             rest_port: int | None = None, unanswered: frozenset[str] = frozenset()) -> Exchange:
    """Play the call. Twilio's REST API is the exchange's: handed to an in-process `app`, or
    served on `rest_port` for a server started with TWILIO_API_BASE pointing there;
    `unanswered`: numbers that ring out when the app calls them."""
    sink = clock.set if clock else getattr(transport, "set_time", None)
    exchange = Exchange(transport, start, clock_sink=sink)
    exchange.unanswered.update(unanswered)
    if caller.ask:  # a person is answering: show each line as it is spoken
        exchange.transcript.echo = click.echo
    server = RestServer(exchange.rest, rest_port).start() if rest_port is not None else None
    if server is not None:
        exchange.rest_wait = 3.0
    previous = app.extensions.get("twilio_client_factory") if app is not None else None
    if app is not None:
        app.extensions["twilio_client_factory"] = lambda: exchange.rest
    try:
        exchange.place_call(caller, specialist)
    finally:
        if server is not None:
            server.stop()
        if app is not None:
            app.extensions["twilio_client_factory"] = previous
    return exchange


def caller_script(from_number: str, keys: str, hangup_after: float | None,
                  interactive: bool, then: str = "typical") -> CallerScript:
    inputs = [k.strip() for k in keys.split(",") if k.strip()] if keys else []
    return CallerScript(from_number, inputs, hangup_in_queue_after=hangup_after,
                        ask=ask_person if interactive else None,
                        then=typical_answer if then == "typical" else None)


def run_in_process(app: Flask, caller: CallerScript, specialist: Specialist | None,
                   start: datetime, control: Control | None = None,
                   tokens: dict[str, str] | None = None) -> Exchange:
    settings = app.extensions["settings"]
    clock = SimClock(start)
    previous = app.extensions["clock"]
    app.extensions["clock"] = clock
    try:
        transport = FlaskTransport(app, settings.public_base_url, settings.twilio_auth_token)
        with_control(specialist, control, tokens or {}, transport.post_json)
        return simulate(transport, caller, specialist, start, clock, app=app,
                        unanswered=control.unanswered if control else frozenset())
    finally:
        app.extensions["clock"] = previous


COMMON = [
    click.option("--from", "from_number", default="+17055550123", show_default=True,
                 help="the caller's number (caller ID)"),
    click.option("--keys", default="", help='answers in order: "1", "say:Sudbury", "silence", '
                 '"hangup"; after them the --then caller answers'),
    click.option("--then", "then", type=click.Choice(["typical", "silence"]), default="typical",
                 show_default=True,
                 help="once --keys run out: the demo's caller answers each menu and the survey "
                      "(English, Sudbury, housing, 5, yes, yes, no follow-up), or silence"),
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
    click.option("--control", type=click.Choice(sorted(CONTROLS)), default=None,
                 help="mid-call, the specialist's page (the supervisor's board for 'supervise') "
                      "uses this call control; without --at the call is placed at "
                      f"{CONTROL_AT}, when 211 North answers (the demo specialist's phone)"),
    click.option("--specialist-token", envvar="SIM_SPECIALIST_TOKEN", default=None,
                 help="the specialist's API token, for --control (flask users token --email "
                      "specialist@example.org)"),
    click.option("--supervisor-token", envvar="SIM_SUPERVISOR_TOKEN", default=None,
                 help="the supervisor's API token, for --control supervise"),
]


def with_common(func):  # type: ignore[no-untyped-def]
    for option in reversed(COMMON):
        func = option(func)
    return func


def control_of(name: str | None, specialist_token: str | None,
               supervisor_token: str | None) -> tuple[Control | None, dict[str, str]]:
    """The control asked for and the tokens it needs, or a usage error naming the one missing."""
    if name is None:
        return None, {}
    control = CONTROLS[name]
    tokens = {role: token for role, token in ((SPECIALIST, specialist_token),
                                              (SUPERVISOR, supervisor_token)) if token}
    for role in sorted(control.needs - tokens.keys()):
        raise click.UsageError(
            f"--control {name} acts as the {role}: give --{role}-token (or SIM_{role.upper()}_TOKEN), "
            f"e.g. from `flask users token --email {role}@example.org`")
    return control, tokens


def with_control(specialist: Specialist | None, control: Control | None, tokens: dict[str, str],
                 post: Poster) -> None:
    """The control's requests, as the specialist's page makes them mid-call."""
    if specialist is not None and control is not None:
        specialist.during_call.extend(during_call(control, tokens, post))


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
def simulate_command(from_number: str, keys: str, then: str, at: str | None, specialist: str,
                     answer_after: float, talk: float, hangup_after: float | None,
                     interactive: bool, control: str | None, specialist_token: str | None,
                     supervisor_token: str | None) -> None:
    """Place a simulated call through this app, in-process, and print the transcript."""
    caller = caller_script(from_number, keys, hangup_after, interactive, then)
    controls, tokens = control_of(control, specialist_token, supervisor_token)
    start = parse_at(at or (CONTROL_AT if control else None))
    try:
        exchange = run_in_process(current_app._get_current_object(), caller,  # type: ignore[attr-defined]
                                  specialist_of(specialist, answer_after, talk), start,
                                  controls, tokens)
    except SimulationError as err:
        raise click.ClickException(str(err)) from err
    report(exchange)


@click.command()
@click.option("--url", required=True, help="the running server, e.g. http://127.0.0.1:8211")
@click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN", default="dev-auth-token")
@click.option("--public-base-url", envvar="PUBLIC_BASE_URL", default=None)
@click.option("--rest-port", type=int, envvar="SIM_REST_PORT", default=None,
              help="serve Twilio's REST API here for the server (started with TWILIO_API_BASE "
                   "pointing at it), so the conference bridge's redirects reach this call")
@with_common
def main(url: str, auth_token: str, public_base_url: str | None, rest_port: int | None,
         from_number: str, keys: str, then: str, at: str | None, specialist: str,
         answer_after: float, talk: float, hangup_after: float | None,
         interactive: bool, control: str | None, specialist_token: str | None,
         supervisor_token: str | None) -> None:
    """Place a simulated call against a running server over HTTP.

    A server started with DEMO_CLOCK on (scripts/serve.sh, scripts/demo.sh) takes the
    simulated time from each request, so `--at` and the waits are simulated there too; with
    any other server `--at` is refused, since that server keeps its own clock.
    """
    controls, tokens = control_of(control, specialist_token, supervisor_token)
    transport = HttpTransport(url, auth_token, public_base_url)
    start = parse_at(at or (CONTROL_AT if control else None))
    try:
        check = transport.check_server(start)
    except NotOurServer as err:
        click.echo(f"simulation not started: {err}", err=True)
        sys.exit(2)
    if not check.follows_clock:
        if at:
            click.echo(f"simulation not started: {url} keeps its own clock, so --at cannot set "
                       "the time of the call. Start the server with DEMO_CLOCK=1 (scripts/serve.sh "
                       "does), or simulate in-process: flask --app app simulate --at ...", err=True)
            sys.exit(2)
        click.echo(f"note: {url} keeps its own clock (DEMO_CLOCK is off): it routes by the real "
                   "time of day, and the waits it tells the specialist are real seconds, not "
                   "the simulated ones below.\n", err=True)
        start = parse_at(None)  # (not CONTROL_AT, which this server would not take)
    caller = caller_script(from_number, keys, hangup_after, interactive, then)
    agent = specialist_of(specialist, answer_after, talk)
    with_control(agent, controls, tokens, transport.post_json)
    try:
        exchange = simulate(transport, caller, agent, start, rest_port=rest_port,
                            unanswered=controls.unanswered if controls else frozenset())
    except SimulationError as err:
        click.echo(f"simulation failed: {err}", err=True)
        sys.exit(1)
    report(exchange)
