"""What other areas may use of the call flow, and nothing more.

The survey carries on a call the IVR answered: it needs the webhook decorator and the form
readers, the facts of the call it is about (language, region, provider, start), the facts
to carry in its own action URLs, and the speech helpers that pick the language's voice.
The directory and the contact records ask who may work on a call (`may_work_on`).
The session store, menus, routing step and the rest of `ivr` stay internal: an
import-linter contract (pyproject) lets other areas import only this module, `ivr.models`
(call records, for reports and contact records) and `ivr.screen_pop` (the lookup page).
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.access import may_work_on
from ivr.call_state import url_state
from ivr.calls import load_call
from ivr.prompts import locale, say, say_text, spoken
from ivr.webhook import attempt_arg, empty, form, webhook

__all__ = ["CallFacts", "attempt_arg", "current_call", "empty", "form", "locale",
           "may_work_on", "say", "say_text", "spoken", "webhook"]

# The URL facts a later step files its answers under: language, region, provider, start.
CARRIED = ("l", "r", "p", "t0")


@dataclass(frozen=True)
class CallFacts:
    call_sid: str
    language: str
    region: str | None
    provider: str | None
    started_at: float | None
    carried: dict[str, str]  # the facts to put in the next action URL (CARRIED)


def current_call() -> CallFacts:
    """The call this webhook is about (its CallSid), from the session or the signed URL."""
    call = load_call(form("CallSid"))
    state = url_state(call)
    return CallFacts(call_sid=call.call_sid, language=call.language, region=call.region,
                     provider=call.provider, started_at=call.started_at,
                     carried={k: state[k] for k in CARRIED if k in state})
