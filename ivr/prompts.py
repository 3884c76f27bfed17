"""The spoken prompts: catalog files per language (config/prompts/*.json), each with its voice."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from twilio.twiml import TwiML

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "config" / "prompts"
LANGUAGES = ("en", "fr")


@cache
def catalog(language: str) -> dict[str, Any]:
    lang = language if language in LANGUAGES else "en"
    return json.loads((PROMPTS_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def text(language: str, key: str, /, **values: Any) -> str:
    return str(catalog(language)[key]).format(**values)


def locale(language: str) -> str:
    """The speech locale ('en-CA', 'fr-CA') for <Say> and speech recognition."""
    return str(catalog(language)["_language"])


def say(node: TwiML, language: str, key: str, /, **values: Any) -> None:
    """Append a <Say> of a catalog prompt in that language's voice."""
    say_text(node, language, text(language, key, **values))


def say_text(node: TwiML, language: str, words: str) -> None:
    cat = catalog(language)
    node.say(words, voice=cat["_voice"], language=cat["_language"])  # type: ignore[attr-defined]


def label(language: str, group: str, key: str) -> str:
    """A spoken label from a group in the catalog (a need's or a language's name)."""
    return str(catalog(language)[group].get(key, key))
