"""Twilio's REST API over HTTP, for a server in another process (the demo under gunicorn).

In-process the app is handed the exchange's `RestApi` itself; a server in another process
cannot be, so the simulator serves the same stand-in on a local port, and a server started
with `TWILIO_API_BASE` pointing there (a lab setting, refused in production) sends its REST
requests to it instead of api.twilio.com. Only the requests the app makes are served: a call
redirected or hung up (`POST /2010-04-01/Accounts/{AC}/Calls/{sid}.json` with `Url` or
`Status`), a call placed (`.../Calls.json`), a conference participant updated (held, its
endConferenceOnExit: `.../Conferences/{CF}/Participants/{CA}.json`); Twilio's refusals
come back as Twilio sends them (status, JSON `code`).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twilio.base.exceptions import TwilioRestException

from ivr.simulator.rest import RestApi, RestFault

CALL = re.compile(r"^/2010-04-01/Accounts/AC\w+/Calls/(CA\w+)\.json$")
CALLS = re.compile(r"^/2010-04-01/Accounts/AC\w+/Calls\.json$")
PARTICIPANT = re.compile(r"^/2010-04-01/Accounts/AC\w+/Conferences/(CF\w+)/Participants/(CA\w+)\.json$")
FLAGS = {"hold", "muted", "end_conference_on_exit", "coaching"}  # sent as "true" / "false"


class RestServer:
    """Serves `rest` on 127.0.0.1:`port` (0: a free one) until `stop()`."""

    def __init__(self, rest: RestApi, port: int = 0) -> None:
        self.rest = rest
        self.lock = threading.Lock()  # the exchange reads what requests write
        self.http = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def start(self) -> RestServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            with self.lock:
                self.rest.requests += 1
                if found := PARTICIPANT.match(path):
                    changes = {_kwarg(k): (v == "true" if _kwarg(k) in FLAGS else v)
                               for k, v in form.items()}
                    made = self.rest.conferences(found.group(1)).participants(
                        found.group(2)).update(**changes)
                    return 200, {"call_sid": made.sid, "conference_sid": found.group(1)}
                if found := CALL.match(path):
                    made = self.rest.calls(found.group(1)).update(
                        url=form.get("Url"), method=form.get("Method", "POST"),
                        twiml=form.get("Twiml"), status=form.get("Status"))
                    return 200, {"sid": made.sid, "status": "in-progress"}
                if CALLS.match(path):
                    made = self.rest.calls.create(**{_kwarg(k): v for k, v in form.items()})
                    return 201, {"sid": made.sid, "status": "queued"}
        except TwilioRestException as err:
            return err.status, {"code": err.code, "message": err.msg, "status": err.status}
        except RestFault as err:
            return 400, {"code": 21201, "message": str(err), "status": 400}
        return 404, {"code": 20404, "message": "The requested resource was not found",
                     "status": 404}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                status, payload = server.answer(urllib.parse.urlsplit(self.path).path, form)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _kwarg(param: str) -> str:
    """Twilio's form name (`StatusCallback`) as the helper library's keyword (`status_callback`);
    `From` is `from_`."""
    if param == "From":
        return "from_"
    return re.sub(r"(?<!^)([A-Z])", r"_\1", param).lower()
