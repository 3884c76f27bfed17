"""The facts the next step of a call needs, carried in the TwiML's action URLs.

Twilio signs each webhook over the full URL, query included, so a fact we put in an action
URL comes back exactly as we wrote it (a changed URL fails the signature check). With the
caller's language, region, need, provider and queue decisions in the URL, a caller keeps
their path when the session store is down or was restarted empty: the store holds what
is shared between calls (queue figures, screen pops), and the session is an optimisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivr.session import CallSession

# URL parameter -> session field. Short names: the URLs stay readable and well under limits.
TEXT = {"l": "language", "i": "interpreter", "r": "region", "rs": "region_source", "n": "need",
        "p": "provider", "o": "overflow_provider"}
NUMBERS = {"t0": "started_at", "te": "enqueued_at", "mw": "max_wait_seconds",
           "cb": "callback_after_seconds"}
WHOLE = frozenset(("max_wait_seconds", "callback_after_seconds"))
FLAGS = {"ov": "overflowed", "qf": "queue_failed", "tr": "transferred", "inf": "informed"}
STATE_PARAMS = frozenset((*TEXT, *NUMBERS, *FLAGS))


def url_state(call: CallSession) -> dict[str, Any]:
    """The call's facts as URL parameters (only those that are set)."""
    state: dict[str, Any] = {}
    for param, name in TEXT.items():
        value = getattr(call, name)
        if value:
            state[param] = str(value)[:40]
    for param, name in NUMBERS.items():
        value = getattr(call, name)
        if value is not None and (value or name == "callback_after_seconds"):
            state[param] = str(round(value))
    for param, name in FLAGS.items():
        if getattr(call, name):
            state[param] = "1"
    return state


def apply_url_state(call: CallSession, args: Mapping[str, str]) -> bool:
    """Fill the call from the URL's facts; True when the URL carried any. Only the
    parameters the URL has are looked at: asking a request's MultiDict for one it lacks
    raises (and catches) an HTTP error inside werkzeug, a dozen times a webhook."""
    found = False
    for param in STATE_PARAMS.intersection(args):
        value = args[param]
        if param in TEXT:
            if value:
                setattr(call, TEXT[param], value[:40])
                found = True
        elif param in NUMBERS:
            if value.isdigit():
                name = NUMBERS[param]
                setattr(call, name, int(value) if name in WHOLE else float(value))
                found = True
        elif value == "1":
            setattr(call, FLAGS[param], True)
            found = True
    return found
