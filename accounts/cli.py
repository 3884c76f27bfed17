"""`flask --app app users ...`: staff accounts and API tokens.

`add` creates an account (and prints its API token once); it refuses an email that exists, so
it can never silently replace a working token. `token` rotates (or with `--revoke` removes) a
token, `password` changes a password, `deactivate` closes an account; the last two, like
signing out, end every session the account had.
"""

from __future__ import annotations

import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ROLES, User, password_problem, token_digest
from config.database import session_scope

users_cli = AppGroup("users", help="Staff accounts (admin, specialist, planner) and API tokens.")


class AccountError(click.ClickException):
    """Exit 1 with the reason (an existing email, a short password, an unknown account)."""


def checked_password(password: str, email: str) -> str:
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    return password


def find(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise AccountError(f"no account {email}")
    return user


def create_user(email: str, name: str, role: str, password: str,
                specialist_id: int | None = None) -> str:
    """Create an account; returns its API token (shown once). Refuses an existing email."""
    checked_password(password, email)
    token = secrets.token_urlsafe(32)
    with session_scope(current_app) as db:
        if db.scalar(select(User.id).where(User.email == email.strip().lower())) is not None:
            raise AccountError(f"{email} already exists: `users token` rotates its API token, "
                               "`users password` changes its password")
        user = User(email=email.strip().lower(), name=name, role=role, password_hash="",
                    specialist_id=specialist_id, active=True, session_version=0)
        user.set_password(password)
        user.api_token_digest = token_digest(token)
        db.add(user)
    return token


def set_token(email: str, revoke: bool = False) -> str | None:
    """A new API token for the account (returned, shown once), or none with `revoke`."""
    token = None if revoke else secrets.token_urlsafe(32)
    with session_scope(current_app) as db:
        find(db, email).api_token_digest = token_digest(token) if token else None
    return token


@users_cli.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--specialist-id", type=int, default=None)
def add(email: str, name: str, role: str, password: str, specialist_id: int | None) -> None:
    """Create a staff account; prints its API token once."""
    token = create_user(email, name, role, password, specialist_id)
    click.echo(f"{email} ({role}) ready; API token: {token}")


@users_cli.command("token")
@click.option("--email", required=True)
@click.option("--revoke", is_flag=True, help="Remove the token (the API refuses it at once).")
def token_cmd(email: str, revoke: bool) -> None:
    """Rotate an account's API token (the old one stops working), or revoke it."""
    token = set_token(email, revoke)
    click.echo(f"{email}: API token revoked" if revoke else f"{email}: new API token: {token}")


@users_cli.command("password")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def password_cmd(email: str, password: str) -> None:
    """Change a password; every session of the account ends."""
    checked_password(password, email)
    with session_scope(current_app) as db:
        find(db, email).set_password(password)
    click.echo(f"{email}: password changed, sessions ended")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate(email: str) -> None:
    """Close an account: its sessions end and its API token stops working."""
    with session_scope(current_app) as db:
        user = find(db, email)
        user.active = False
        user.end_sessions()
    click.echo(f"{email}: deactivated")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
