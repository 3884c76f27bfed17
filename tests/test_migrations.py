"""The Alembic migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

import config.database
from app import create_app
from config.cli import alembic_config, upgrade
from config.database import Base, DeadlineReached, Waits
from config.models import import_all_models
from config.settings import Settings
from config.shared_store import MemoryStore
from directory.importer import write
from directory.package import Package
from tests.directory_helpers import service


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty database on DATABASE_URL's server (its URL), dropped afterwards."""
    base = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_creates_every_table(tmp_path: Path) -> None:
    import_all_models()
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        with fresh_postgres() as target:
            _check_upgrade(target)
    else:
        _check_upgrade(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")


def _check_upgrade(target: str) -> None:
    upgrade(target)
    engine = create_engine(target)
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert drift == [], "the models and the migrations disagree; add a migration"


def test_the_migrations_are_one_chain() -> None:
    """One head: two helpers' migrations revising the same parent upgrade fine with
    `heads` (so the test above passes) but leave `flask db upgrade <rev>` ambiguous."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent
                                                  / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


WORDS = ["food", "pantry", "rent", "help", "shelter", "dental", "clinic", "housing", "legal",
         "aid", "youth", "senior", "meals", "counselling", "transit", "winter", "coats",
         "diapers", "tenants", "eviction", "benefits", "tax", "literacy", "employment",
         "training", "childcare", "daycare", "respite", "caregivers"]
FIELDS_0015 = "term, docs_alt, docs_alt_tax, docs_desc_too"
BOUND = 0.02  # seconds: the app's bound on a statement, shrunk below the fill's time


def _directory(count: int) -> Package:
    """`count` services of mixed words in every field (alternate names, taxonomy, description),
    so 0015's three postings are not empty."""
    rng = random.Random(15)
    package = Package(source="many")
    package.organizations.append({"source_id": "org-1", "name": "Many Services Agency"})
    package.taxonomy = [{"code": f"BD-{1000 + n}", "name": " ".join(rng.sample(WORDS, 2))}
                        for n in range(40)]
    for number in range(count):
        service(package, f"s{number}", " ".join(rng.sample(WORDS, 3)),
                [f"BD-{1000 + rng.randrange(40)}"],
                description=" ".join(rng.choices(WORDS, k=12)) + f" unit{number}")
        package.services[-1]["alternate_name"] = " ".join(rng.sample(WORDS, 2))
    return package


def _postings(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            f"SELECT {FIELDS_0015} FROM dir_search_terms ORDER BY term"))]  # noqa: S608


def _fill_0015() -> str:
    """Migration 0015's postings fill, as the migration runs it."""
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    spec = importlib.util.spec_from_file_location("m0015", path / "0015_issue13_search_fields.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.FILL)


def _cut_off(err: OperationalError) -> bool:
    """The bound ended it: the server's statement_timeout, or the client's read timeout (as
    itself, or as a "deadline", when float rounding leaves a hair less than the bound)."""
    return (isinstance(err.orig, psycopg.errors.QueryCanceled | DeadlineReached)
            or "did not answer" in str(err.orig))


def test_0015_fills_a_directory_whose_fill_outlasts_the_apps_statement_bound(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`flask db upgrade` through 0015 on a filled directory, with the app's bound on a
    statement shorter than the postings fill (as 30 s is at a million services): the fill
    completes and makes what the search sync makes. When migrations ran on the app's
    engine, the bound cut them off (0015's ANALYZE first, here) and rolled the upgrade back."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("0015's fill runs on PostgreSQL only (the CI's PostgreSQL pass runs it)")
    original = config.database.make_engine

    def bounded(url: str, waits: Waits = config.database.DEFAULT_WAITS,
                *args: Any, **kwargs: Any) -> Engine:
        return original(url, replace(waits, read=BOUND), *args, **kwargs)

    with fresh_postgres() as url:
        upgrade(url)
        settings = replace(Settings(), database_url=url, search_engine="postgres",
                           journal_path=str(tmp_path / "journal.sqlite3"))
        app = create_app(settings, store=MemoryStore())
        write(app, _directory(3000))  # the import syncs the search tables, 0015's postings too
        app.extensions["durable"].stop()
        app.extensions["webhook_db_engine"].dispose()
        app.extensions["db_engine"].dispose()
        plain = create_engine(url)
        synced = _postings(plain)
        assert any(row[1] for row in synced) and any(row[3] for row in synced)
        short = bounded(url)  # the precondition: under that bound the fill is cut off
        with pytest.raises(OperationalError) as cut, short.begin() as conn:
            conn.execute(text(_fill_0015()))
        short.dispose()
        assert _cut_off(cut.value), cut.value
        command.downgrade(alembic_config(url), "0014_issue13_search_postings")

        monkeypatch.setattr(config.database, "make_engine", bounded)  # every app engine's bound
        upgrade(url)
        monkeypatch.undo()
        assert _postings(plain) == synced
        plain.dispose()
