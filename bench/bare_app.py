"""The baseline: a bare Flask endpoint answering fixed TwiML, nothing else."""

from __future__ import annotations

from flask import Flask, Response

FIXED = ('<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Joanna" '
         'language="en-US">Welcome to 2-1-1.</Say></Response>')


def create_bare_app() -> Flask:
    app = Flask("bare")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/<path:_any>")
    def twiml(_any: str) -> Response:
        return Response(FIXED, mimetype="text/xml")

    return app
