"""The Twilio voice webhooks: the caller's path, the specialists' side, and the call simulator."""

from __future__ import annotations

from flask import Flask

from config.errors import add_error_renderer


def register(app: Flask) -> None:
    from accounts import add_staff_link
    from config.voices import say_language
    from ivr import (
        agent,
        call_controls,
        callback_voice,
        cli,
        conference,
        consult,
        metrics,
        supervisor_board,
        surge_view,
        voice,
        webhook,
    )
    from ivr.roster import Roster
    from ivr.security import TwilioSessionInterface
    from ivr.simulator.cli import simulate_command

    settings = app.extensions["settings"]
    say_language(settings.voice_en, "en")  # a voice Twilio does not have stops start-up
    say_language(settings.voice_fr, "fr")
    # Webhooks never use the staff cookie session; see TwilioSessionInterface.
    app.session_interface = TwilioSessionInterface(app.session_interface)
    # (its reads are one statement each: autocommit on PostgreSQL, one round trip)
    app.extensions["roster"] = Roster(app.extensions["webhook_single_sessionmaker"],
                                      app.extensions["durable"].journal,
                                      app.extensions["db_breaker"])
    app.register_blueprint(voice.bp)
    app.register_blueprint(agent.bp)
    app.register_blueprint(conference.bp)
    app.register_blueprint(call_controls.bp)
    app.register_blueprint(consult.bp)
    app.register_blueprint(surge_view.bp)
    app.register_blueprint(callback_voice.bp)
    app.register_blueprint(supervisor_board.bp)
    add_staff_link(app, "Surge view", "surge.page", "supervisor")
    add_staff_link(app, "Supervisor board", "supervisor_board.board_page", "supervisor")
    app.cli.add_command(simulate_command)
    cli.register(app)
    metrics.register(app)
    for prefix in ("/voice/", "/agent/"):
        add_error_renderer(app, prefix, webhook.unknown_webhook)
