"""schemathesis against `/api/openapi.json`, the way its CLI runs in CI: every JSON API
operation driven over HTTP with data made from its own schema (its examples, boundary and
invalid values from the coverage phase, then hypothesis fuzzing), signed in as an admin.
Whatever arrives, the answer is never a 5xx, and every 4xx is JSON with a reason
(tests/api_fuzz_checks.py), as the guide promises API users.

The example count is bounded (`API_FUZZ_EXAMPLES`, default 10 per operation) and generation is
deterministic, so a failure reproduces; raise the count locally for a longer hunt.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.browser_helpers import serve_in_thread
from tests.test_admin_routing_api import TOKENS, add_users

EXAMPLES = os.environ.get("API_FUZZ_EXAMPLES", "10")
ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "schemathesis"


@pytest.fixture
def api_server(app: Flask, db: Session) -> Iterator[str]:
    add_users(db)
    yield from serve_in_thread(app)


def test_every_api_operation_answers_without_a_server_error(api_server: str, tmp_path: Path) -> None:
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api_fuzz_checks", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(  # noqa: S603 - our own venv's schemathesis, fixed arguments
        [str(CLI), "run", f"{api_server}/api/openapi.json",
         "--header", f"Authorization: Bearer {TOKENS['admin']}",
         "--checks", "not_a_server_error,refusals_are_json_with_a_reason",
         "--phases", "examples,coverage,fuzzing", "--max-examples", EXAMPLES,
         "--generation-deterministic", "--seed", "211", "--workers", "1",
         "--request-timeout", "20", "--continue-on-failure", "--warnings", "off",
         "--report-dir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    assert "No operations" not in output and " passed" in output, output[-3000:]
