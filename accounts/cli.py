"""`flask --app app users ...`: staff accounts and API tokens."""

from __future__ import annotations

import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from accounts.models import ROLES, User, token_digest
from config.database import session_scope

users_cli = AppGroup("users", help="Staff accounts (admin, specialist, planner) and API tokens.")


def upsert_user(email: str, name: str, role: str, password: str,
                specialist_id: int | None = None) -> str:
    """Create or update a user; returns a fresh API token (shown once)."""
    token = secrets.token_urlsafe(32)
    with session_scope(current_app) as db:
        user = db.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            user = User(email=email.lower(), name=name, role=role, password_hash="")
            db.add(user)
        user.name, user.role, user.specialist_id, user.active = name, role, specialist_id, True
        user.set_password(password)
        user.api_token_digest = token_digest(token)
    return token


@users_cli.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--specialist-id", type=int, default=None)
def add(email: str, name: str, role: str, password: str, specialist_id: int | None) -> None:
    """Create or update a staff account; prints its API token once."""
    token = upsert_user(email, name, role, password, specialist_id)
    click.echo(f"{email} ({role}) ready; API token: {token}")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
