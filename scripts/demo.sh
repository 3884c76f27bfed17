#!/usr/bin/env bash
# The main job on a fresh machine: set up, create the database, start the app under gunicorn,
# and place a simulated call through it (greeting -> menus -> queue -> a specialist on the line).
#   bash scripts/demo.sh                           # the default call
#   bash scripts/demo.sh --keys "2,say:Sudbury,2"  # any simulator options (see --help)
#   DISASTER=1 bash scripts/demo.sh --keys "1,say:Sudbury,9"   # in disaster mode (#15): the
#       bulletin first, then the information option; turned off again when the demo ends
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
bash scripts/setup.sh
PORT="${PORT:-8211}"
require_free_port "$PORT"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"
export TWILIO_AUTH_TOKEN="${TWILIO_AUTH_TOKEN:-dev-auth-token}"
export DEMO_CLOCK="${DEMO_CLOCK:-1}"  # the simulator's --at and waits reach the server
# The simulator serves Twilio's REST API on the next port; the server sends its REST requests
# there (the conference bridge redirects the caller's queued call into the conference).
export SIM_REST_PORT="${SIM_REST_PORT:-$((PORT + 1))}"
require_free_port "$SIM_REST_PORT"
export TWILIO_API_BASE="${TWILIO_API_BASE:-http://127.0.0.1:$SIM_REST_PORT}"
export FLASK_APP=app
SEARCH_WARM_START=false prepare_database
if [ -n "${DISASTER:-}" ]; then  # before the server starts: it reads the mode on its first call
  SEARCH_WARM_START=false .venv/bin/flask routing disaster on --event "the Huron County flood" \
    --bulletin-en "Flooding in Huron County: if you are in danger, hang up and dial 9-1-1." \
    --bulletin-fr "Inondations dans le comté de Huron : en cas de danger, composez le 9-1-1." \
    --info-en "Shelters are open at the Goderich arena. To donate or volunteer, contact the Red Cross." \
    --info-fr "Des refuges sont ouverts à l'aréna de Goderich. Pour donner ou aider, la Croix-Rouge." >/dev/null
fi
LOG=instance/demo-server.log
mkdir -p instance
# One worker unless REDIS_URL is set: the embedded store lives in the worker's memory.
WORKERS=1; [ -n "${REDIS_URL:-}" ] && WORKERS=3
.venv/bin/gunicorn "app:create_app()" --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads 4 \
  --log-level warning >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true
      [ -n "${DISASTER:-}" ] && SEARCH_WARM_START=false .venv/bin/flask routing disaster off >/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "app running at http://127.0.0.1:$PORT (log: $LOG); placing a simulated call:"
echo
# The demo's caller (English, Sudbury, housing, the survey) answers every menu the options
# leave open: `--at 2026-12-25T03:00` alone still makes a whole call.
.venv/bin/python -m ivr.simulator --url "http://127.0.0.1:$PORT" "$@"
