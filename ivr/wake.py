"""A caller who joins a queue wakes a specialist waiting there (#12, the conference bridge).

A specialist with nobody to take looks again every `idle_poll_seconds`; without a wake a
caller who arrives just after a look waits that long more, and the looks are most of the
bridge's webhooks. So an enqueue with someone waiting at that provider sends a wake: off
the webhook's thread (the outbox's `nudge`: no row, so no database; a wake is worth one try
and no more), one waiting specialist is reserved (`ivr.idle_agents`, as a consult does, so
their own look does not race the redirect) and REST-redirected to look now. The looks stay,
as the backstop for a wake that is lost (Twilio or the store away).
"""

from __future__ import annotations

import logging
import urllib.parse
from functools import partial
from typing import Any

from flask import current_app, url_for
from twilio.base.exceptions import TwilioRestException

from config.clock import now
from config.extensions import settings, store
from ivr import idle_agents
from ivr.calls import best_effort

log = logging.getLogger(__name__)


def stale_after() -> float:
    """A waiting mark older than two looks (and some slack) is a specialist who is gone."""
    return 2 * settings().idle_poll_seconds + 10


def wake_for(provider_id: str, caller_sid: str) -> None:
    """Send a wake if anyone waits at the provider (one read). The enqueue need not commit
    first: the caller is already in the figures the woken specialist claims from."""
    if settings().call_bridge != "conference" or not caller_sid:
        return
    with best_effort():
        if store().zcard(idle_agents.waiting_key(provider_id)):
            current_app.extensions["outbox"].nudge(partial(wake, {
                "provider": provider_id, "caller_sid": caller_sid, "idle": url_for("agent.idle")}))


def wake(payload: dict[str, Any]) -> None:
    """Redirect one waiting specialist to look again now; a refusal (they hung up) drops
    their reservation and is not retried: the next look, or the next wake, does it."""
    provider = str(payload["provider"])
    agent = idle_agents.take(store(), provider, str(payload["caller_sid"]), now().timestamp(),
                             stale_after())
    if agent is None:
        return
    query = urllib.parse.urlencode({"ap": provider, "sp": agent.specialist_id, "woken": 1})
    client = current_app.extensions["twilio_client_factory"]()
    try:
        client.calls(agent.agent_sid).update(
            url=f"{settings().public_base_url}{payload['idle']}?{query}", method="POST")
    except (TwilioRestException, OSError) as err:
        log.info("wake of %s refused: %s", agent.agent_sid, err)
        idle_agents.release(store(), agent.agent_sid)
