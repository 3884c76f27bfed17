"""The demo clock: with `DEMO_CLOCK` on, a request's `X-Demo-Time` header is the app's time.

The call simulator plays time faster than the wall clock (a ten-minute wait takes
milliseconds) and can place a call at any `--at`. In-process it replaces the app's clock;
against a running server it sends its simulated time with every webhook in this header, so
the server routes by that time of day and the whisper's "waited" counts simulated seconds.
Every other request (a browser, a request without the header) reads the wrapped clock.

Any request could set the time, so this is for a lab only: `Settings.development_defaults`
lists it, and a production deployment refuses to start with it on. Answers to a request
whose header was taken carry `X-Demo-Clock: <the time used>`, so the simulator can tell
that the server follows it (and say so when it does not).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, has_request_context, request

from config.clock import Clock

HEADER = "X-Demo-Time"
ANSWER_HEADER = "X-Demo-Clock"


def parse(value: str) -> datetime | None:
    """An ISO 8601 time (UTC when it names no zone); None for anything else."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def request_time() -> datetime | None:
    """The current request's demo time, if it gave one. Read from the request itself (not
    `g`), so a webhook running on a pool thread with a copy of the request sees it too."""
    if not has_request_context():
        return None
    raw = request.headers.get(HEADER)
    return parse(raw) if raw else None


class DemoClock:
    """The request's demo time when it gave one, else `base` (the clock it wraps)."""

    def __init__(self, base: Clock) -> None:
        self.base = base

    def __call__(self) -> datetime:
        return request_time() or self.base()


def install(app: Flask) -> None:
    """Wrap the app's clock, and say on each answer which time it took (only called when on)."""
    app.extensions["clock"] = DemoClock(app.extensions["clock"])

    @app.after_request
    def say_demo_time(resp: Response) -> Response:
        at = request_time()
        if at is not None:
            resp.headers[ANSWER_HEADER] = at.isoformat()
        return resp
