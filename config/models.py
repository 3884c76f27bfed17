"""One place that imports every area's models, so metadata is complete for Alembic and tests."""

from __future__ import annotations

import importlib

MODEL_MODULES = ("accounts.models", "ivr.models", "routing.models", "directory.models", "survey.models",
                 "needs.models", "privacy.models")


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
