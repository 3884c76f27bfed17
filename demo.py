"""`flask --app app demo ...`: the demo for a newcomer's laptop (scripts/serve.sh), never production.

`demo setup` does, in one process, what would otherwise take five `flask` starts: migrate the
database, publish the default rules, register the demo specialists' phones, load a small
generated directory if there is none, and create the demo staff with new passwords (printed).
It spans every area, so it sits on top with `app.py`, which registers it.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ivr.cli import DEMO_PROVIDER, DEMO_SPECIALISTS, ensure_demo_staff

demo_cli = AppGroup("demo", help="Demo data for trying the app on a laptop (never in production).")
PROVIDER_OPTION = click.option("--provider", default=DEMO_PROVIDER, show_default=True,
                               help="whose demo phone the specialist's sign-in is linked to")


def refuse_production() -> None:
    if current_app.extensions["settings"].is_production:
        raise click.ClickException("refusing to create demo accounts in a production deployment")


def print_staff(provider: str) -> None:
    made = ensure_demo_staff(provider)
    click.echo("demo staff (new passwords each run):")
    for email, role, password in made:
        click.echo(f"  {role:<11} {email:<24} password: {password}")
    click.echo(f"the specialist's sign-in is linked to the demo phone {DEMO_SPECIALISTS[provider]} "
               f"({provider}): calls that phone answers pop up on their lookup page")


@demo_cli.command("staff")
@PROVIDER_OPTION
def staff_cmd(provider: str) -> None:
    """Demo admin, specialist and planner with new random passwords (printed; each run
    changes them). API tokens: `flask users token --email ...`."""
    refuse_production()
    print_staff(provider)


def load_directory(services: int) -> None:
    """A small generated directory when there is none (its taxonomy codes come from the 211 Miami records)."""
    from directory.cli import service_count
    from directory.generator import generate
    from directory.shared_data import miami_dir

    held = service_count()
    if held:
        click.echo(f"directory: {held} services already")
    elif not miami_dir().is_dir():
        click.echo(f"directory: none loaded (no 211 Miami data at {miami_dir()}; set "
                   "SHARED_DATA_DIR, or `flask directory import` one). The lookup page works, "
                   "with nothing to find.", err=True)
    elif services:
        generate(current_app._get_current_object(), services)  # type: ignore[attr-defined]
        click.echo(f"directory: {services} generated services")


@demo_cli.command("setup")
@click.option("--services", default=300, show_default=True,
              help="services to generate when the directory is empty (0: none)")
@PROVIDER_OPTION
def setup_cmd(services: int, provider: str) -> None:
    """Migrate, publish the default rules, register the demo phones, load a small directory
    if there is none, and create the demo staff (passwords printed)."""
    from config.cli import upgrade
    from config.clock import now
    from config.database import session_scope
    from config.extensions import store
    from ivr.cli import seed_demo_specialists
    from routing.store.versions import rules_changed, seed

    refuse_production()
    upgrade(current_app.extensions["settings"].database_url)
    with session_scope(current_app) as db:
        version = seed(db, now(), "demo")
    rules_changed(store())
    click.echo(f"database migrated; rule set version {version.number} published")
    click.echo(f"{len(seed_demo_specialists())} demo specialists' phones registered")
    load_directory(services)
    click.echo()
    print_staff(provider)


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
