#!/usr/bin/env bash
# The main job on a fresh machine: set up, create the database, start the app under gunicorn,
# and place a simulated call through it (greeting -> menus -> queue -> a specialist on the line).
#   bash scripts/demo.sh                           # the default call
#   bash scripts/demo.sh --keys "2,say:Sudbury,2"  # any simulator options (see --help)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
PORT="${PORT:-8211}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"
export TWILIO_AUTH_TOKEN="${TWILIO_AUTH_TOKEN:-dev-auth-token}"
export FLASK_APP=app
.venv/bin/flask db upgrade >/dev/null
.venv/bin/flask specialists seed-demo
.venv/bin/flask routing seed 2>/dev/null || true
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
if [ "$#" -eq 0 ]; then
  set -- --from +17055550123 --keys "1,say:Sudbury,2,5,1,say:yes,3" --answer-after 45
fi
.venv/bin/python -m ivr.simulator --url "http://127.0.0.1:$PORT" "$@"
