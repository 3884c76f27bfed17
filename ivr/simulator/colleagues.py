"""Colleagues: specialists of other providers who wait for a caller while a call goes on.

A warm transfer to another provider reaches one of them (#12): the app REST-redirects their
waiting leg into the caller's conference. The exchange plays each colleague's looks (a
pause, then `/agent/idle`) in the caller's time, the redirect when it comes (the whisper,
then their place in the conference), and their Dial action when they leave it (as a
specialist after any call: offered the next caller, they press nothing and are signed out).
"""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ivr.simulator.rest import new_sid

if TYPE_CHECKING:
    from ivr.simulator.engine import Exchange, Leg, Room

WHO = "to colleague"


@dataclass
class Colleague:
    leg: Leg
    step: tuple[str, dict[str, str]] | None  # the request their call makes next
    dial: ET.Element | None = None  # their <Dial><Conference> while in a conference


def dials_in(exchange: Exchange, number: str, at: float) -> Colleague:
    from ivr.simulator.engine import HELPLINE_NUMBER, Leg

    leg = Leg(new_sid(), number, HELPLINE_NUMBER, exchange.start, t=at, inputs=deque(),
              side="agent")
    exchange.rest.calls.states[leg.sid] = "in-progress"
    exchange.log(leg, "colleague", f"a specialist dials in from {number} and waits for a caller")
    colleague = Colleague(leg, ("/agent/incoming", leg.params()))
    exchange.colleagues.append(colleague)
    advance(exchange, at)
    return colleague


def advance(exchange: Exchange, until: float) -> None:
    """Each waiting colleague's looks up to the caller's time (not in the transcript)."""
    from ivr.simulator.engine import SimulationError

    for colleague in exchange.colleagues:
        while colleague.step is not None and colleague.leg.t <= until and not colleague.leg.ended:
            if step(exchange, colleague, quiet=True) is not None:
                raise SimulationError("a waiting colleague was given a caller: the simulator's "
                                      "colleagues only take consults")


def step(exchange: Exchange, colleague: Colleague, quiet: bool = False) -> ET.Element | None:
    """One request on the colleague's leg, its verbs played; a <Dial> it leads to is returned."""
    assert colleague.step is not None
    leg = colleague.leg
    doc, colleague.step = exchange.fetch(leg, *colleague.step), None
    for verb in doc:
        if verb.tag == "Dial":
            return verb
        if verb.tag == "Redirect":
            colleague.step = ((verb.text or "").strip(), leg.params())
            return None
        if verb.tag == "Gather":
            for child in verb:
                exchange.media(leg, child, WHO)
            exchange.log(leg, "colleague", "(presses nothing)")
            leg.t += float(verb.get("timeout", "5"))
        elif verb.tag == "Hangup":
            break
        elif quiet and verb.tag == "Say":
            leg.t += 2.0
        else:
            exchange.media(leg, verb, WHO)
    hangs_up(exchange, colleague)
    return None


def hangs_up(exchange: Exchange, colleague: Colleague) -> None:
    leg = colleague.leg
    exchange.log(leg, "colleague", "the colleague's line hangs up")
    exchange.fetch(leg, "/agent/status", leg.params(CallStatus="completed",
                                                     CallDuration=round(leg.t)), callback=True)
    leg.ended = True
    exchange.rest.calls.states[leg.sid] = "completed"


def redirected(exchange: Exchange) -> list[tuple[Colleague, str]]:
    """The colleagues the app has just REST-redirected, with the URL."""
    found = []
    for colleague in exchange.colleagues:
        url = exchange.rest.calls.redirects.pop(colleague.leg.sid, None)
        if url is not None:
            found.append((colleague, url))
    return found


def pending(exchange: Exchange) -> bool:
    return any(c.leg.sid in exchange.rest.calls.redirects for c in exchange.colleagues)


def joins(exchange: Exchange, room: Room, colleague: Colleague, url: str) -> None:
    """A colleague redirected by a consult: the whisper, then into the caller's conference
    (or, sent back to waiting, their looks go on)."""
    leg = colleague.leg
    leg.t = max(leg.t, room.caller.t)
    exchange.log(leg, "twilio", "the colleague's call is redirected (REST) to "
                 f"{urllib.parse.urlsplit(url).path}")
    colleague.step = (url, leg.params())
    dial = step(exchange, colleague)
    conference = None if dial is None else dial.find("Conference")
    if dial is None or conference is None or (conference.text or "").strip() != room.name:
        return
    label = conference.get("participantLabel", "colleague")
    colleague.dial = dial
    room.others[leg.sid] = (label, leg, None)
    room.end_on_exit[leg.sid] = conference.get("endConferenceOnExit") == "true"
    exchange.rest.conferences.known[room.sid].add(leg.sid)
    exchange.log(room.caller, "conference", f"the colleague {leg.from_number} joins the "
                 f"conference ({label})")
    exchange.conference_event(room.dial, "participant-join", leg, label)


def of(exchange: Exchange, sid: str) -> Colleague | None:
    return next((c for c in exchange.colleagues if c.leg.sid == sid), None)


def leaves(exchange: Exchange, colleague: Colleague, in_room: float) -> None:
    """Out of the conference: their Dial action, then what it leads to."""
    dial, colleague.dial = colleague.dial, None
    action = dial.get("action") if dial is not None else None
    if not action:
        hangs_up(exchange, colleague)
        return
    colleague.step = (action, colleague.leg.params(DialCallStatus="completed",
                                                   DialCallDuration=round(in_room)))
    while colleague.step is not None and not colleague.leg.ended:
        if step(exchange, colleague) is not None:
            break  # offered a caller: beyond what the simulator plays for a colleague
