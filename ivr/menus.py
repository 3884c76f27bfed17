"""Asking the caller something: a <Gather> that always has a way forward.

Each menu posts to its handler with `attempt=N`. After the <Gather> comes a <Redirect> to the
same handler, so silence reaches the handler as an empty answer; the handler re-asks up to
`RETRIES` times and then takes a sensible default. Nobody is ever silently hung up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import prompts

RETRIES = 2
GATHER_TIMEOUT = 6


def ask(
    resp: VoiceResponse,
    endpoint: str,
    attempt: int,
    speak: Callable[[Gather], None],
    *,
    language: str = "en",
    dtmf: bool = True,
    speech: bool = True,
    hints: str | None = None,
    state: dict[str, Any] | None = None,
) -> VoiceResponse:
    """`state`: the call's facts for the next step (`ivr.call_state`), carried in the URL."""
    modes = " ".join(m for m, on in (("dtmf", dtmf), ("speech", speech)) if on)
    action = url_for(endpoint, attempt=attempt, **(state or {}))
    gather = resp.gather(
        input=modes, action=action, method="POST", timeout=GATHER_TIMEOUT,
        num_digits=1 if dtmf else None, language=prompts.locale(language),
        speech_timeout="auto" if speech else None, hints=hints,
    )
    speak(gather)
    resp.redirect(action, method="POST")  # silence: the handler gets an empty answer
    return resp


def retry_or_default(attempt: int) -> bool:
    """True when the caller should be asked again; False when the default should be taken."""
    return attempt < RETRIES
