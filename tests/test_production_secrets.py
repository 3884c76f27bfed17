"""A production deployment refuses development secrets; caller pseudonyms rotate and expire."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from config.pseudonym import CallerHasher
from config.settings import InsecureConfiguration, Settings
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import CallRecord
from ivr.simulator.cli import SimClock
from tests.calls import add_specialists, place_call

REAL: dict[str, Any] = {"twilio_auth_token": "a-real-twilio-auth-token", "secret_key": "s" * 40,
                        "caller_hash_key": "k" * 40}


def test_https_deployment_with_nothing_set_refuses_to_start_naming_each_secret(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_AUTH_TOKEN", "SECRET_KEY", "CALLER_HASH_KEY", "HELPLINE_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://211.example.org")
    with pytest.raises(InsecureConfiguration) as refused:
        create_app()
    message = str(refused.value)
    assert "TWILIO_AUTH_TOKEN" in message and "SECRET_KEY" in message and "CALLER_HASH_KEY" in message


@pytest.mark.parametrize("weak", [
    {"twilio_auth_token": "dev-auth-token"},
    {"secret_key": ""},
    {"secret_key": "short"},
    {"caller_hash_key": "dev-caller-hash-key"},
    {"caller_hash_key": "s" * 40},  # the same as SECRET_KEY
    {"validate_signatures": False},
])
def test_each_development_default_alone_is_refused_in_production(weak: dict[str, object]) -> None:
    settings = replace(Settings(), public_base_url="https://211.example.org", **REAL)
    assert settings.development_defaults() == []
    with pytest.raises(InsecureConfiguration):
        create_app(replace(settings, **weak))  # type: ignore[arg-type]


def test_declared_production_over_http_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_ENV", "production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://10.0.0.5:8000")
    with pytest.raises(InsecureConfiguration, match="TWILIO_AUTH_TOKEN"):
        create_app(Settings.from_env())


def test_production_with_real_secrets_shares_the_secret_key_across_workers(tmp_path: object) -> None:
    settings = replace(Settings(), public_base_url="https://211.example.org",
                       database_url=f"sqlite:///{tmp_path}/a.sqlite3", **REAL)
    first, second = create_app(settings), create_app(settings)
    assert first.secret_key == second.secret_key == REAL["secret_key"]


def test_the_local_demo_still_starts_on_its_defaults(tmp_path: object) -> None:
    app = create_app(replace(Settings(), database_url=f"sqlite:///{tmp_path}/a.sqlite3"))
    assert app.secret_key  # a random one for this process


# -- pseudonyms --------------------------------------------------------------------------------

def test_pseudonym_links_calls_within_a_period_only() -> None:
    hasher = CallerHasher("k" * 40, period_days=30, cost=10)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    period_start = datetime.fromtimestamp(hasher.period(start) * 30 * 86400, UTC)
    same = hasher.digest("+17055550123", period_start + timedelta(days=29))
    assert hasher.digest("(705) 555-0123", period_start) == same  # same number, same period
    assert hasher.digest("+17055550123", period_start + timedelta(days=30)) != same
    assert CallerHasher("j" * 40, 30, 10).digest("+17055550123", period_start) != same
    assert hasher.digest("", period_start) is None


def test_pseudonym_is_a_slow_hash_not_a_plain_hmac() -> None:
    import hashlib
    import hmac

    hasher = CallerHasher("k" * 40, period_days=30, cost=10)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    plain = hmac.new(b"k" * 40, b"+17055550123", hashlib.sha256).hexdigest()
    keyed_period = hmac.new(hasher.period_key(hasher.period(at)), b"+17055550123",
                            hashlib.sha256).hexdigest()
    assert hasher.digest("+17055550123", at) not in {plain, keyed_period}


def test_call_record_holds_this_periods_pseudonym(app: Flask, clock: SimClock, db: Session) -> None:
    add_specialists(db)
    place_call(app, clock, "+17056730123", ["1", "2"], specialist=DEMO_SPECIALISTS["north"])
    record = db.scalars(select(CallRecord)).one()
    expected = app.extensions["caller_hasher"].digest("+17056730123", clock.current)
    assert record.caller_hash == expected


def _invoke(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_privacy_purge_removes_pseudonyms_past_retention(app: Flask, clock: SimClock,
                                                          db: Session) -> None:
    add_specialists(db)
    place_call(app, clock, "+17056730123", ["1", "2"], specialist=DEMO_SPECIALISTS["north"])
    retention = app.extensions["settings"].caller_hash_retention_days
    clock.set(clock.current + timedelta(days=retention - 1))
    assert "removed 0 caller pseudonym" in _invoke(app, "privacy", "purge").output
    clock.set(clock.current + timedelta(days=2))
    assert "removed 1 caller pseudonym" in _invoke(app, "privacy", "purge").output
    db.expire_all()
    record = db.scalars(select(CallRecord)).one()
    assert record.caller_hash is None and record.result == "answered"  # the figures stay
