#!/usr/bin/env bash
# The main job on a fresh machine: set up, create the database, start the app under gunicorn,
# and place a simulated call through it (greeting -> menus -> queue -> a specialist on the line).
#   bash scripts/demo.sh                           # the default call
#   bash scripts/demo.sh --keys "2,say:Sudbury,2"  # any simulator options (see --help)
#   DISASTER=1 bash scripts/demo.sh --keys "1,say:Sudbury,9"   # in disaster mode (#15): the
#       bulletin first, then the information option; turned off again when the demo ends
#   bash scripts/demo.sh --control warm-transfer   # a call control mid-call (#12): interpreter,
#       warm-transfer, warm-transfer-unanswered, cold-transfer, crisis, supervise; the demo
#       specialist's and supervisor's API tokens are minted (flask users token) for it
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
if [[ " $* " == *" --control"* ]]; then
  # The page's requests need the staff's API tokens: new ones each run (the old stop working).
  # Without the demo accounts, `flask demo staff` makes them (the specialist's sign-in linked
  # to 211 North's demo phone, which a --control call reaches) and prints their passwords.
  token_of() { SEARCH_WARM_START=false .venv/bin/flask users token --email "$1" 2>/dev/null | sed -n 's/.*new API token: //p'; }
  SIM_SPECIALIST_TOKEN="$(token_of specialist@example.org || true)"
  SIM_SUPERVISOR_TOKEN="$(token_of supervisor@example.org || true)"
  if [ -z "$SIM_SPECIALIST_TOKEN" ] || [ -z "$SIM_SUPERVISOR_TOKEN" ]; then
    SEARCH_WARM_START=false .venv/bin/flask demo staff
    SIM_SPECIALIST_TOKEN="$(token_of specialist@example.org)"
    SIM_SUPERVISOR_TOKEN="$(token_of supervisor@example.org)"
  fi
  export SIM_SPECIALIST_TOKEN SIM_SUPERVISOR_TOKEN
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
