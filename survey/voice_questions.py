"""Asking a survey question by voice: a <Gather> for keys or speech that always moves on.

Like the IVR menus, the <Gather> is followed by a <Redirect> to the same handler, so silence
arrives as an empty answer; the handler asks again up to the definition's `retries`, then
records the question as skipped and goes on. Nobody is stuck on a question.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr.interface import locale, say_text
from survey.definition import Definition, Question

GATHER_TIMEOUT = 6


def say(resp: VoiceResponse, language: str, words: str) -> None:
    if words:
        say_text(resp, language, words)


def hints(question: Question, language: str) -> str:
    words = [w for table in question.words.get(language, {}).values() for w in table]
    return ", ".join(words)[:500]


def ask(resp: VoiceResponse, endpoint: str, definition: Definition, question: Question,
        language: str, attempt: int, **url_args: Any) -> VoiceResponse:
    """The question as a <Gather>, posting to `endpoint` with q, v and attempt in the URL."""
    action = url_for(endpoint, q=question.id, v=definition.version, attempt=attempt, **url_args)
    gather = resp.gather(
        input="dtmf speech", action=action, method="POST", timeout=GATHER_TIMEOUT,
        num_digits=1, language=locale(language), speech_timeout="auto",
        hints=hints(question, language),
        finish_on_key="",  # '#' is an answer (skip); Twilio would drop its finish key from Digits
    )
    say_text(gather, language, question.prompt.get(language) or question.prompt["en"])
    resp.redirect(action, method="POST")
    return resp


def goodbye(resp: VoiceResponse, definition: Definition, language: str,
            key: str = "outro") -> VoiceResponse:
    say(resp, language, definition.text(key, language))
    resp.hangup()
    return resp
