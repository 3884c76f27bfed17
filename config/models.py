"""One place that imports every area's models, so metadata is complete for Alembic and tests."""

from __future__ import annotations

import importlib

MODEL_MODULES = ("config.outbox", "accounts.models", "ivr.models", "routing.store.models",
                 "directory.models", "directory.search_tables",
                 "survey.models", "needs.models", "privacy.models")


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
