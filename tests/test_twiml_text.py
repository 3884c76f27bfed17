"""`ivr.twiml_text.render` writes exactly what the twilio library's `str()` writes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml import GenericNode, TwiML
from twilio.twiml.voice_response import (
    Conference,
    Dial,
    Enqueue,
    Gather,
    Hangup,
    Leave,
    Number,
    Pause,
    Play,
    Queue,
    Redirect,
    Say,
    VoiceResponse,
)

from ivr.twiml_text import render

# Text with what XML escapes (markup, quotes, line ends, tabs) and a lone surrogate.
TEXT = st.text(alphabet=st.one_of(st.characters(), st.sampled_from('&<>"\'\r\n\t\ud800 ')),
               max_size=12)
VALUES = st.one_of(TEXT, st.booleans(), st.integers(-5, 500), st.floats(0, 10, allow_nan=False))
ATTRS = st.dictionaries(st.sampled_from(["action", "method", "timeout", "num_digits", "voice",
                                         "language", "hangup_on_star", "url", "length", "loop",
                                         "xml_lang", "from_"]), VALUES, max_size=4)
KINDS: list[type[TwiML]] = [Say, Gather, Dial, Queue, Conference, Redirect, Pause, Hangup,
                            Enqueue, Play, Leave, Number]


def node(kind: type[TwiML], value: str | None, attrs: dict[str, Any]) -> TwiML:
    """A verb of that kind with these attributes and text (each kind's own constructor
    takes its text under a different name, or none)."""
    made = TwiML.__new__(kind)
    TwiML.__init__(made, **attrs)
    made.value = value
    return made


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> TwiML:
    root: TwiML = VoiceResponse() if depth == 0 else node(
        draw(st.sampled_from(KINDS)), draw(st.one_of(st.none(), TEXT)), draw(ATTRS))
    for _ in range(draw(st.integers(0, 3 if depth < 2 else 0))):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            root.nest(draw(TEXT))  # a string: the text, or the tail of the verb before it
        elif choice == 1:
            root.add_child(draw(st.sampled_from(["Stream", "Sip", "x"])), draw(TEXT),
                           **draw(ATTRS))
        else:
            root.nest(draw(trees(depth + 1)))
    return root


@settings(max_examples=400, deadline=None)
@given(trees())
def test_render_equals_the_librarys_text(tree: TwiML) -> None:
    assert render(tree) == str(tree)


def test_the_answers_webhooks_give() -> None:
    """The shapes the call flow answers: a gather of prompts, a queue, a conference, a hang-up."""
    resp = VoiceResponse()
    gather = resp.gather(action="/voice/need?attempt=0&l=en", method="POST", num_digits=1,
                         timeout=5, input="dtmf speech", hints="food, housing")
    gather.say("Press 1 for food & shelter. <Say> \"it\".", voice="Polly.Joanna",
               language="en-US")
    resp.redirect("/voice/need?attempt=1&l=en", method="POST")
    dial = resp.dial(action="/agent/after-call", hangup_on_star=True, timeout=20)
    dial.conference("room-1", start_conference_on_enter=True, end_conference_on_exit=False)
    dial.queue("north", url="/agent/connect?sp=5&ap=north")
    resp.enqueue("north", wait_url="/voice/hold", action="/voice/queue-result")
    resp.pause(length=30)
    resp.leave()
    resp.hangup()
    empty = VoiceResponse()
    value = GenericNode("Parameter", {"a": 1}, key="x")
    for tree in (resp, empty, value):
        assert render(tree) == str(tree)
