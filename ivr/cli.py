"""`flask --app app specialists ...`: register and list the phones specialists dial in from;
the demo's specialists and staff accounts (`flask demo staff`, in demo.py)."""

from __future__ import annotations

import secrets

import click
import phonenumbers
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from config.database import session_scope
from config.extensions import deployment
from ivr.models import Specialist

specialists_cli = AppGroup("specialists", help="Specialists and the phones they dial in from.")

# One demo specialist per provider, on fictional 555-01xx numbers.
DEMO_SPECIALISTS = {
    "central": "+14165550199", "central_east": "+17055550199", "central_south": "+19055550199",
    "east": "+16135550199", "north": "+18075550199", "south_west": "+15195550199",
    "after_hours": "+16475550199", "backup": "+14375550199",
}


def demo_staff() -> dict[str, str]:
    """Queue name -> the demo specialist staffing it, for the default Ontario providers.

    The simulator's `--specialist demo` uses it: whichever queue the time of day routes the
    caller to, its own demo specialist dials in, so a demo run always ends on the line.
    """
    from routing.engine.default_rules import default_ruleset

    providers = default_ruleset().providers
    return {providers[pid].queue: phone for pid, phone in DEMO_SPECIALISTS.items() if pid in providers}


def e164(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, "CA")
    except phonenumbers.NumberParseException as err:
        raise click.BadParameter(f"not a phone number: {number}") from err
    if not phonenumbers.is_valid_number(parsed):
        raise click.BadParameter(f"not a valid phone number: {number}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def upsert(name: str, phone: str, provider: str, languages: str = "en") -> None:
    # Admins add providers in the published rule set; the data files know only the built-in six.
    if provider not in deployment().providers:
        raise click.BadParameter(f"unknown provider {provider!r}")
    with session_scope(current_app) as db:
        found = db.scalar(select(Specialist).where(Specialist.phone == phone))
        if found is None:
            db.add(Specialist(name=name, phone=phone, provider=provider, languages=languages))
        else:
            found.name, found.provider, found.languages, found.active = name, provider, languages, True


@specialists_cli.command("add")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--provider", required=True)
@click.option("--languages", default="en")
def add(name: str, phone: str, provider: str, languages: str) -> None:
    """Register (or update) a specialist's phone."""
    upsert(name, e164(phone), provider, languages)
    click.echo(f"specialist {name} at {provider}")


def seed_demo_specialists() -> dict[str, str]:
    """Register the demo specialists (again: it updates in place); returns `demo_staff()`."""
    for provider, phone in DEMO_SPECIALISTS.items():
        upsert(f"Demo specialist ({provider})", phone, provider, "en,fr")
    return demo_staff()


@specialists_cli.command("seed-demo")
def seed_demo() -> None:
    """One demo specialist per provider (fictional 555-0199 numbers)."""
    click.echo(f"{len(seed_demo_specialists())} demo specialists ready")


@specialists_cli.command("list")
def list_cmd() -> None:
    """Every registered phone: id, name, phone, provider, languages, the staff account linked."""
    from accounts.models import User

    with session_scope(current_app) as db:
        found = db.scalars(select(Specialist).order_by(Specialist.provider, Specialist.name)).all()
        logins = {user.specialist_id: user.email for user in db.scalars(
            select(User).where(User.specialist_id.is_not(None), User.active.is_(True)))}
        if not found:
            click.echo("no specialists: `flask specialists add` or `flask specialists seed-demo`")
        for row in found:
            state = "" if row.active else "  (inactive)"
            login = logins.get(row.id, "no sign-in linked")
            click.echo(f"{row.id:>4}  {row.name:<34} {row.phone:<13} {row.provider:<14} "
                       f"{row.languages:<8} {login}{state}")


# The demo accounts; the specialist's sign-in is linked to the demo phone of DEMO_PROVIDER, so
# a simulated call answered on that provider's queue pops up on their lookup page.
DEMO_ACCOUNTS = (("admin@example.org", "Demo admin", "admin"),
                 ("specialist@example.org", "Demo specialist", "specialist"),
                 ("planner@example.org", "Demo planner", "planner"),
                 ("supervisor@example.org", "Demo supervisor", "supervisor"))
DEMO_PROVIDER = "north"


def demo_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters: passes the password policy


def ensure_demo_staff(provider: str) -> list[tuple[str, str, str]]:
    """Create the demo accounts, or give them a new password (which ends their sessions);
    link the specialist's to `provider`'s demo phone. Returns (email, role, password)."""
    from accounts.models import SPECIALIST, User, token_digest

    phones = DEMO_SPECIALISTS
    if provider not in phones:
        raise click.BadParameter(f"no demo specialist at {provider!r}; one of {sorted(phones)}")
    seed_demo_specialists()
    made = []
    with session_scope(current_app) as db:
        linked = db.scalar(select(Specialist.id).where(Specialist.phone == phones[provider]))
        for email, name, role in DEMO_ACCOUNTS:
            user = db.scalar(select(User).where(User.email == email))
            if user is None:
                user = User(email=email, name=name, role=role, password_hash="", active=True,
                            session_version=0,
                            api_token_digest=token_digest(secrets.token_urlsafe(32)))
                db.add(user)
            password = demo_password()
            user.set_password(password)
            user.role, user.active = role, True
            user.specialist_id = linked if role == SPECIALIST else None
            made.append((email, role, password))
    return made


callbacks_cli = AppGroup("callbacks", help="Callbacks owed to callers (issue 15).")


@callbacks_cli.command("sweep")
@click.option("--older-than-hours", default=12, show_default=True, type=int,
              help="Give up callbacks offered longer ago than this.")
def callbacks_sweep(older_than_hours: int) -> None:
    """Give up callbacks still open long after they were offered (the line closed, nobody
    dialled in), erasing their numbers; cron-safe, run it daily with the privacy purge."""
    from datetime import timedelta

    from config.clock import now
    from ivr.callbacks import give_up_stale

    with session_scope(current_app) as db:
        done = give_up_stale(db, now(), timedelta(hours=older_than_hours))
    click.echo(f"callbacks given up and numbers erased: {done}")


def register(app: Flask) -> None:
    app.cli.add_command(specialists_cli)
    app.cli.add_command(callbacks_cli)
