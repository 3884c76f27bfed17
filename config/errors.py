"""HTTP errors in the shape each kind of client can use, instead of Flask's HTML pages.

Areas register a renderer for their path prefix: the JSON APIs answer `{"error": ...}`, and
the Twilio webhooks answer TwiML that routes the caller to a person, because Twilio reads
an HTML error page as "an application error has occurred" and hangs up.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

# Given the error, a response, or None to let the next renderer (or Flask's page) answer.
ErrorRenderer = Callable[[HTTPException], Response | None]


def add_error_renderer(app: Flask, prefix: str, render: ErrorRenderer) -> None:
    app.extensions.setdefault("error_renderers", []).append((prefix, render))


def set_page_renderer(app: Flask, render: ErrorRenderer) -> None:
    """What answers an error no prefix claimed (the staff pages): a styled page with a way
    back, tried after every prefix renderer, so the APIs' JSON and the webhooks' TwiML win."""
    app.extensions["error_page"] = render


def json_error(err: HTTPException) -> Response:
    resp = jsonify(error=err.description or err.name)
    resp.status_code = err.code or 500
    return resp


def register(app: Flask) -> None:
    add_error_renderer(app, "/api/", json_error)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response | HTTPException:
        for prefix, render in app.extensions.get("error_renderers", []):
            if request.path.startswith(prefix):
                answer = render(err)
                if answer is not None:
                    return answer
        page = app.extensions.get("error_page")
        answer = page(err) if page is not None else None
        return answer if answer is not None else err
