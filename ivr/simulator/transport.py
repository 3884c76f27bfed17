"""How the simulator reaches the app: in-process (Flask test client) or over HTTP.

Both sign every request exactly as Twilio does, with the auth token over the public URL.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from typing import Protocol

from flask import Flask
from twilio.request_validator import RequestValidator


class Transport(Protocol):
    public_base_url: str

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]: ...


def absolute(base: str, url: str) -> str:
    return urllib.parse.urljoin(base + "/", url)


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
        return resp.status_code, resp.get_data(as_text=True)


class HttpTransport:
    """Posts to a running server; `public_base_url` is what the server signs against.

    It waits for an answer as long as Twilio does (15 s, its read timeout), then raises.
    """

    timeout = 15.0

    def __init__(self, server_url: str, auth_token: str, public_base_url: str | None = None) -> None:
        self.server_url = server_url.rstrip("/")
        self.public_base_url = (public_base_url or server_url).rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.requests = 0

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        full = absolute(self.public_base_url, url)
        parts = urllib.parse.urlsplit(full)
        target = self.server_url + parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(full, params)
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own server
            target, data=body, method="POST",
            headers={"X-Twilio-Signature": signature,
                     "Content-Type": "application/x-www-form-urlencoded"},
        )
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")
