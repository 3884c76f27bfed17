"""Which text-to-speech voices Twilio really has: the voice/language table (data/tts_voices.csv).

A `<Say>` whose voice/language pair is not in Twilio's table logs warning 13511 (13321 inside a
Gather) and may fail; so every voice the app speaks with is looked up here, its language taken
from the table rather than typed next to it.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "tts_voices.csv"


class UnknownVoice(ValueError):
    """A configured voice that Twilio's text-to-speech table does not have."""


@cache
def table() -> frozenset[tuple[str, str]]:
    """Every allowed (voice, language) pair."""
    with TABLE.open(encoding="utf-8", newline="") as fh:
        return frozenset((row["voice"], row["language"]) for row in csv.DictReader(fh))


def is_allowed(voice: str, language: str) -> bool:
    return (voice, language) in table()


@cache
def say_language(voice: str, language_prefix: str) -> str:
    """The table's language for this voice that speaks `language_prefix` ('en', 'fr')."""
    for known_voice, lang in sorted(table()):
        if known_voice == voice and lang.split("-")[0] == language_prefix:
            return lang
    raise UnknownVoice(f"voice {voice!r} has no {language_prefix} language in Twilio's table ({TABLE.name})")
