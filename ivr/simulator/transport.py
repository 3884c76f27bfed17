"""How the simulator reaches the app: in-process (Flask test client) or over HTTP.

Both sign every request exactly as Twilio does, with the auth token over the public URL.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask import Flask
from twilio.request_validator import RequestValidator

from config.demo_clock import ANSWER_HEADER as DEMO_CLOCK_ANSWER
from config.demo_clock import HEADER as DEMO_TIME_HEADER
from config.health import APP_HEADER, APP_NAME


class Transport(Protocol):
    public_base_url: str

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]: ...


def absolute(base: str, url: str) -> str:
    return urllib.parse.urljoin(base + "/", url)


def settle(app: Flask) -> None:
    """Let the REST requests an answer owes reach Twilio (the app's outbox thread) before
    Twilio goes on: on the real network they arrive within milliseconds of the answer."""
    outbox = app.extensions.get("outbox")
    if outbox is not None:
        outbox.settle()


class FlaskTransport:
    def __init__(self, app: Flask, public_base_url: str, auth_token: str) -> None:
        self.client = app.test_client()
        self.public_base_url = public_base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.requests = 0

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        full = absolute(self.public_base_url, url)
        parts = urllib.parse.urlsplit(full)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(full, params)
        self.requests += 1
        resp = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        settle(self.client.application)
        return resp.status_code, resp.get_data(as_text=True)

    def post_json(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]:
        """An API request as a staff page makes it (a call control mid-call): JSON, a token."""
        resp = self.client.post(path, json=body, headers=headers)
        return resp.status_code, resp.get_data(as_text=True)

    def settle(self) -> None:
        """The REST requests the app owes after a request made outside the exchange (a
        specialist's page acting mid-call) reach Twilio before it goes on."""
        settle(self.client.application)


@dataclass(frozen=True)
class ServerCheck:
    """What `HttpTransport.check_server` found: our app, and whether it takes our time."""

    follows_clock: bool


class NotOurServer(RuntimeError):
    """Nothing answers at the URL, or something that is not this helpline app does."""


class HttpTransport:
    """Posts to a running server; `public_base_url` is what the server signs against.

    It waits for an answer as long as Twilio does (15 s, its read timeout), then raises.
    Each request carries the simulated time (`X-Demo-Time`), which a server started with
    `DEMO_CLOCK` on takes as its clock for that request (`config.demo_clock`); any other
    server ignores it.
    """

    timeout = 15.0

    def __init__(self, server_url: str, auth_token: str, public_base_url: str | None = None) -> None:
        self.server_url = server_url.rstrip("/")
        self.public_base_url = (public_base_url or server_url).rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.requests = 0
        self.demo_time: datetime | None = None

    def set_time(self, value: datetime) -> None:
        """The simulated time of the next request (the Exchange's clock sink)."""
        self.demo_time = value

    def time_headers(self) -> dict[str, str]:
        return {DEMO_TIME_HEADER: self.demo_time.isoformat()} if self.demo_time else {}

    def check_server(self, at: datetime) -> ServerCheck:
        """Before a call: is our app at the URL, and does it take `at` as its time?

        Without it, a busy port shows only as a webhook's odd answer ("POST /voice/incoming
        answered 501" from some other program), and `--at` would be silently ignored.
        """
        request = urllib.request.Request(  # noqa: S310 - the operator's own server
            self.server_url + "/healthz", headers={DEMO_TIME_HEADER: at.isoformat()})
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310
                status, headers = resp.status, resp.headers
        except urllib.error.HTTPError as err:
            raise NotOurServer(
                f"{self.server_url} is not the helpline app: GET /healthz answered {err.code} "
                f"{err.reason} (is another program using this port?)") from err
        except (OSError, http.client.HTTPException) as err:
            reason = getattr(err, "reason", err)
            raise NotOurServer(
                f"nothing answers at {self.server_url} ({reason}): start the app first "
                "(bash scripts/serve.sh)") from err
        if status != 200 or headers.get(APP_HEADER) != APP_NAME:
            server = headers.get("Server") or "unknown server"
            raise NotOurServer(
                f"{self.server_url} is not the helpline app: GET /healthz answered {status} "
                f"without the {APP_HEADER} header ({server}; is another program using this port?)")
        return ServerCheck(follows_clock=bool(headers.get(DEMO_CLOCK_ANSWER)))

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        full = absolute(self.public_base_url, url)
        parts = urllib.parse.urlsplit(full)
        target = self.server_url + parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(full, params)
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own server
            target, data=body, method="POST",
            headers={"X-Twilio-Signature": signature,
                     "Content-Type": "application/x-www-form-urlencoded", **self.time_headers()},
        )
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")

    def post_json(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]:
        """An API request as a staff page makes it, at the simulated time (`X-Demo-Time`)."""
        request = urllib.request.Request(  # noqa: S310 - the operator's own server
            self.server_url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", **headers, **self.time_headers()})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")
