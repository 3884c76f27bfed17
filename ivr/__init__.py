"""The Twilio voice webhooks: the caller's path, the specialists' side, and the call simulator."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from ivr import agent, cli, metrics, voice
    from ivr.simulator.cli import simulate_command

    app.register_blueprint(voice.bp)
    app.register_blueprint(agent.bp)
    app.cli.add_command(simulate_command)
    cli.register(app)
    metrics.register(app)
