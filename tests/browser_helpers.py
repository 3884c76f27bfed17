"""A live server for the browser tests, and Debian's headless Chromium to drive it."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        # Fail rather than skip: a browser test that quietly skips cannot fail. scripts/test.sh
        # installs Chromium when run as root; elsewhere opt out explicitly.
        if os.environ.get("SKIP_BROWSER_TESTS"):
            pytest.skip("SKIP_BROWSER_TESTS is set")
        pytest.fail("no /usr/bin/chromium: apt-get install chromium (or set SKIP_BROWSER_TESTS=1)")


def live_server(app: Flask) -> Iterator[str]:
    """The app on a free local port in a thread, for the `server` fixture in conftest."""
    require_chromium()
    yield from serve_in_thread(app)


def serve_in_thread(app: Flask) -> Iterator[str]:
    """The app over real HTTP on a free local port (werkzeug, threaded), until the generator
    is closed; for the browser tests and the API fuzzing."""
    port = free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    thread.join(timeout=5)


def open_signed_in(browser: Any, url: str, email: str, password: str) -> Any:
    """A new page at `url`, through the sign-in form it redirects to, back on `url`."""
    page = browser.new_page()
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"**{urlsplit(url).path}")
    return page
