"""Alembic environment: the models' metadata, batch mode so SQLite can alter tables."""

from alembic import context

from config.database import DEFAULT_WAITS, Base, admin_engine
from config.models import import_all_models

import_all_models()
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # No bound on a statement (a fill at a million services takes minutes: `admin_engine`);
    # lock waits keep the app's bound.
    engine = admin_engine(str(context.config.get_main_option("sqlalchemy.url")),
                          lock_wait=DEFAULT_WAITS.read)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
