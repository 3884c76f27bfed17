"""The spoken prompts: catalog files per language (config/prompts/*.json), spoken in the voice
the settings name for that language (VOICE_EN, VOICE_FR), from Twilio's voice table."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

from twilio.twiml import TwiML

from config.extensions import settings
from config.voices import say_language

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "config" / "prompts"
LANGUAGES = ("en", "fr")


def spoken(language: str | None) -> str:
    """The language our prompts answer in: the caller's when we have prompts in it (an
    interpreter caller's, or a forged URL's, is not), else English."""
    return language if language is not None and language in LANGUAGES else "en"


@cache
def catalog(language: str) -> dict[str, Any]:
    lang = spoken(language)
    return json.loads((PROMPTS_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def text(language: str, key: str, /, **values: Any) -> str:
    return str(catalog(language)[key]).format(**values)


def locale(language: str) -> str:
    """The speech-recognition locale ('en-CA', 'fr-CA') for a Gather; not the <Say> language."""
    return str(catalog(language)["_language"])


def say(node: TwiML, language: str, key: str, /, **values: Any) -> None:
    """Append a <Say> of a catalog prompt in that language's voice."""
    say_text(node, language, text(language, key, **values))


def voice(language: str) -> tuple[str, str]:
    """The (voice, Say language) pair for a catalog language, as Twilio's table has it."""
    lang = language if language in LANGUAGES else "en"
    name = settings().voice_fr if lang == "fr" else settings().voice_en
    return name, say_language(name, lang)


def say_text(node: TwiML, language: str, words: str) -> None:
    name, say_lang = voice(language)
    node.say(words, voice=name, language=say_lang)  # type: ignore[attr-defined]


def label(language: str, group: str, key: str) -> str:
    """A spoken label from a group in the catalog (a need's or a language's name)."""
    return str(catalog(language)[group].get(key, key))


@cache
def interpreter_hold_lines() -> dict[str, tuple[str, str, str]]:
    """Language code -> (voice, Say language, "please hold for an interpreter") for the
    interpreter languages Twilio has a voice for (config/prompts/interpreter_hold.csv)."""
    with (PROMPTS_DIR / "interpreter_hold.csv").open(encoding="utf-8", newline="") as fh:
        return {row["code"]: (row["voice"], row["language"], row["text"]) for row in csv.DictReader(fh)}


def say_interpreter_hold(node: TwiML, code: str | None) -> bool:
    """Say "please hold for an interpreter" in the caller's own language; False when Twilio
    has no voice for it (the caller then hears only the short English cue)."""
    line = interpreter_hold_lines().get(code or "")
    if line is None:
        return False
    voice_name, say_lang, words = line
    node.say(words, voice=voice_name, language=say_lang)  # type: ignore[attr-defined]
    return True
