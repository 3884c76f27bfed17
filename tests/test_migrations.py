"""The Alembic migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config.cli import upgrade
from config.database import Base
from config.models import import_all_models


def test_upgrade_creates_every_table(tmp_path: Path) -> None:
    import_all_models()
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        base = make_url(url).set(drivername="postgresql+psycopg")
        name = f"migrate_{uuid.uuid4().hex[:12]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = base.set(database=name).render_as_string(hide_password=False)
    else:
        admin, name, target = None, "", f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    try:
        upgrade(target)
        engine = create_engine(target)
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        engine.dispose()
        assert set(Base.metadata.tables) <= tables
        assert "alembic_version" in tables
        assert drift == [], "the models and the migrations disagree; add a migration"

    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_the_migrations_are_one_chain() -> None:
    """One head: two helpers' migrations revising the same parent upgrade fine with
    `heads` (so the test above passes) but leave `flask db upgrade <rev>` ambiguous."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent
                                                  / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
