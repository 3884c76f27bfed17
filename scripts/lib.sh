# Shared by scripts/serve.sh and scripts/demo.sh (sourced, not run).

# Exit with a clear message when something already listens on 127.0.0.1:$1 (gunicorn would
# otherwise retry, fail, and leave the simulator talking to whatever holds the port).
require_free_port() {
  local port="$1" host="${2:-127.0.0.1}"
  if ! .venv/bin/python - "$host" "$port" <<'PY'
import socket, sys
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
try:
    sock.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)
PY
  then
    echo "port $port on $host is busy: another program (or another copy of this app) is" \
         "listening there. Stop it, or choose a port: PORT=8001 bash $0" >&2
    exit 1
  fi
}

# The database migrated, the default rules published, the demo specialists' phones registered.
prepare_database() {
  .venv/bin/flask db upgrade >/dev/null
  .venv/bin/flask routing seed >/dev/null
  .venv/bin/flask specialists seed-demo
}
