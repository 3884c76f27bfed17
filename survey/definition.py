"""Survey definitions: the questions, their order, wording (en/fr) and answer keys, as data.

Each file in `survey/definitions/` is one version of one survey (`post_call-2026.1.json`).
Answers record the version they were given under, so wording can change without mixing
results; what counts as a "positive" answer for a reported figure is part of the version.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
# intro/outro: said at the start and end; confirmed: said once the identity check is answered
# yes (it may say who is calling); not_reached: said to anyone else before hanging up;
# sms_*: the texts' own wording (a lock screen shows them to whoever holds the phone).
TEXT_KEYS = ("intro", "outro", "not_understood", "stopped", "sms_intro", "confirmed",
             "not_reached", "sms_outro", "sms_stopped")
SKIPPED = None  # the stored value of a question the caller skipped or did not answer


@dataclass(frozen=True)
class Question:
    id: str
    figure: str | None  # the published figure it feeds, None when it is not reported
    positive: frozenset[str]
    prompt: dict[str, str]
    sms: dict[str, str]
    keys: dict[str, str]  # keypad digit -> value
    words: dict[str, dict[str, tuple[str, ...]]]  # language -> value -> spoken/texted words
    ends_contact: frozenset[str]

    def is_positive(self, value: str | None) -> bool | None:
        return None if value is None else value in self.positive


@dataclass(frozen=True)
class Definition:
    id: str
    version: str
    retries: int
    skip_keys: frozenset[str]
    skip_words: dict[str, tuple[str, ...]]
    stop_words: frozenset[str]
    texts: dict[str, dict[str, str]]  # intro, outro, not_understood, stopped, sms_intro, ...
    questions: tuple[Question, ...]
    # The outcome call's first question, before anything says who is calling: is this the
    # person who consented? (None: the version has no such check.)
    identity: Question | None = None

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def after(self, question_id: str) -> Question | None:
        ids = [q.id for q in self.questions]
        index = ids.index(question_id) + 1 if question_id in ids else len(ids)
        return self.questions[index] if index < len(ids) else None

    def text(self, key: str, language: str) -> str:
        table = self.texts.get(key, {})
        return table.get(language) or table.get("en", "")


def _question(raw: dict[str, Any]) -> Question:
    return Question(
        id=raw["id"], figure=raw.get("figure"), positive=frozenset(raw.get("positive", [])),
        prompt=raw["prompt"], sms=raw.get("sms", {}), keys=raw.get("keys", {}),
        words={lang: {value: tuple(w.lower() for w in words) for value, words in table.items()}
               for lang, table in raw.get("words", {}).items()},
        ends_contact=frozenset(raw.get("ends_contact", [])),
    )


def parse_definition(raw: dict[str, Any]) -> Definition:
    texts: dict[str, dict[str, str]] = {
        key: raw[key] for key in TEXT_KEYS if key in raw}
    return Definition(
        id=raw["id"], version=str(raw["version"]), retries=int(raw.get("retries", 1)),
        skip_keys=frozenset(raw.get("skip_keys", [])),
        skip_words={lang: tuple(w.lower() for w in words)
                    for lang, words in raw.get("skip_words", {}).items()},
        stop_words=frozenset(w.lower() for w in raw.get("stop_words", [])),
        texts=texts, questions=tuple(_question(q) for q in raw["questions"]),
        identity=_question(raw["identity"]) if raw.get("identity") else None,
    )


@lru_cache(maxsize=1)
def all_definitions() -> dict[tuple[str, str], Definition]:
    found: dict[tuple[str, str], Definition] = {}
    for path in sorted(DEFINITIONS_DIR.glob("*.json")):
        definition = parse_definition(json.loads(path.read_text(encoding="utf-8")))
        found[(definition.id, definition.version)] = definition
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def current(survey_id: str) -> Definition:
    """The newest version of a survey (highest version number)."""
    versions = [d for (sid, _), d in all_definitions().items() if sid == survey_id]
    if not versions:
        raise LookupError(f"no survey definition {survey_id!r}")
    return max(versions, key=lambda d: _version_key(d.version))


def version(survey_id: str, version_id: str) -> Definition:
    """A given version (a call or contact keeps the version it started with)."""
    found = all_definitions().get((survey_id, version_id))
    return found or current(survey_id)


def figure_questions() -> dict[str, str]:
    """Question id -> published figure, across every survey and version."""
    return {q.id: q.figure for d in all_definitions().values() for q in d.questions if q.figure}


# -- reading an answer ---------------------------------------------------------------------

def _words(text: str) -> str:
    folded = unicodedata.normalize("NFC", text.lower())
    return " " + re.sub(r"[^\w'#*]+", " ", folded).strip() + " "


def _mentions(spoken: str, phrase: str) -> bool:
    return f" {phrase} " in spoken


class Reading:
    """What a caller's keypress or words mean for a question."""

    ANSWER, SKIP, STOP, NOTHING = "answer", "skip", "stop", "nothing"

    def __init__(self, kind: str, value: str | None = None) -> None:
        self.kind, self.value = kind, value

    def __repr__(self) -> str:
        return f"Reading({self.kind!r}, {self.value!r})"


def read_answer(definition: Definition, question: Question, language: str,
                digits: str = "", speech: str = "") -> Reading:
    """Keys first, then words; STOP words win over everything, skip words over answers."""
    digits, spoken = digits.strip(), _words(speech)
    if any(_mentions(spoken, w) for w in definition.stop_words):
        return Reading(Reading.STOP)
    if digits:
        if digits in question.keys:
            return Reading(Reading.ANSWER, question.keys[digits])
        if digits in definition.skip_keys:
            return Reading(Reading.SKIP)
        return Reading(Reading.NOTHING)
    if not spoken.strip():
        return Reading(Reading.NOTHING)
    if any(_mentions(spoken, w) for w in definition.skip_words.get(language, ())):
        return Reading(Reading.SKIP)
    for lang in (language, "en", "fr"):
        for value, words in question.words.get(lang, {}).items():
            if any(_mentions(spoken, w) for w in words):
                return Reading(Reading.ANSWER, value)
    return Reading(Reading.NOTHING)
