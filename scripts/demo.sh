#!/usr/bin/env bash
# The main job on a fresh machine: set up, create the database, start the app under gunicorn,
# and place a simulated call through it (greeting -> menus -> queue -> a specialist on the line).
#   bash scripts/demo.sh                           # the default call
#   bash scripts/demo.sh --keys "2,say:Sudbury,2"  # any simulator options (see --help)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
bash scripts/setup.sh
PORT="${PORT:-8211}"
require_free_port "$PORT"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"
export TWILIO_AUTH_TOKEN="${TWILIO_AUTH_TOKEN:-dev-auth-token}"
export DEMO_CLOCK="${DEMO_CLOCK:-1}"  # the simulator's --at and waits reach the server
export FLASK_APP=app
SEARCH_WARM_START=false prepare_database
LOG=instance/demo-server.log
mkdir -p instance
# One worker unless REDIS_URL is set: the embedded store lives in the worker's memory.
WORKERS=1; [ -n "${REDIS_URL:-}" ] && WORKERS=3
.venv/bin/gunicorn "app:create_app()" --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads 4 \
  --log-level warning >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "app running at http://127.0.0.1:$PORT (log: $LOG); placing a simulated call:"
echo
# The demo's caller (English, Sudbury, housing, the survey) answers every menu the options
# leave open: `--at 2026-12-25T03:00` alone still makes a whole call.
.venv/bin/python -m ivr.simulator --url "http://127.0.0.1:$PORT" "$@"
