#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh machine, lints, runs the suite.
#   bash scripts/test.sh                 # SQLite + in-process store (the embedded default)
#   DATABASE_URL=postgresql://127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/15 bash scripts/test.sh
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/test_call_flow.py -x`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will fail" >&2
  else
    echo "note: install Debian's chromium (sudo apt-get install chromium) for the browser tests" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/mypy .
.venv/bin/lint-imports
.venv/bin/python -m pytest -n 2 "$@"
