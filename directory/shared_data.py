"""Where the shared real datasets live: `SHARED_DATA_DIR`, else `shared/data` beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

from config.settings import PROJECT_ROOT


def shared_data_dir() -> Path:
    override = os.environ.get("SHARED_DATA_DIR", "").strip()
    if override:
        return Path(override)
    for candidate in (PROJECT_ROOT.parent / "shared" / "data", PROJECT_ROOT / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return PROJECT_ROOT.parent / "shared" / "data"


def miami_dir() -> Path:
    return shared_data_dir() / "miami-211-hsds"
