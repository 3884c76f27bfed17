#!/usr/bin/env bash
# Use it: set up, migrate the database, load a small demo directory, create demo staff (their
# passwords printed), then run the app under gunicorn in the foreground until Ctrl-C.
#   bash scripts/serve.sh                 # http://127.0.0.1:8000
#   PORT=8001 bash scripts/serve.sh       # another port (a busy one is reported as such)
# DATABASE_URL / REDIS_URL are honoured (default: instance/helpline.sqlite3, in-process store).
# DEMO_CLOCK=1 (the default here) lets the simulator set the time of its calls (--at); it is
# a lab setting, refused by a production deployment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
bash scripts/setup.sh
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"
require_free_port "$PORT" "$HOST"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"
export DEMO_CLOCK="${DEMO_CLOCK:-1}"
export FLASK_APP=app
mkdir -p instance
# Migrate, publish the default rules, register the demo phones, generate a small directory
# if there is none, create the demo staff: one process (demo.py). It needs no search index:
# only the server builds it.
SEARCH_WARM_START=false .venv/bin/flask demo setup --services "${DEMO_SERVICES:-300}"
URL="http://127.0.0.1:$PORT"
cat <<TXT

Sign in at $URL/login (admin: $URL/admin/routing/, planner: $URL/survey/reports/).
As the specialist, open $URL/directory/lookup, then place a simulated call from another terminal:
  .venv/bin/python -m ivr.simulator --url $URL --at 2026-12-02T14:00
(a Wednesday afternoon: 211 North is open, and its demo phone, linked to the specialist, answers;
 the call pops up on the lookup page). Ctrl-C stops the server.

TXT
# One worker unless REDIS_URL is set: the embedded store lives in the worker's memory.
WORKERS=1; [ -n "${REDIS_URL:-}" ] && WORKERS="${WORKERS_WITH_REDIS:-3}"
exec .venv/bin/gunicorn "app:create_app()" --bind "$HOST:$PORT" --workers "$WORKERS" \
  --threads 4 --log-level warning
