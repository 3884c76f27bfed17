"""Turning text into the tokens the search index and queries share.

Lower case, accents removed (so "Santé" and "sante" meet), split on anything that is not a
letter or digit, a few stop words dropped, and a light English/French plural stemmer so
"pantries" finds "pantry". Taxonomy codes ('BD-1800.2000') are recognised whole.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "who",
        "our",
        "your",
        "their",
        "this",
        "that",
        "these",
        "those",
        "its",
        "we",
        "you",
        "they",
        "all",
        "any",
        "can",
        "will",
        "may",
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "un",
        "une",
        "et",
        "ou",
        "en",
        "au",
        "aux",
        "pour",
        "par",
        "sur",
        "avec",
        "dans",
        "d",
        "l",
    ]
)
_SPLIT = re.compile(r"[^a-z0-9]+")
CODE_PATTERN = re.compile(r"\b[A-Z]{1,2}(?:-\d{4}(?:\.\d{3,4})?(?:-\d{3}(?:\.\d{2})?)?)?\b")
QUERY_CODE = re.compile(r"(?<![\w-])([a-zA-Z]{2}-\d{4}(?:\.\d{3,4})?(?:-\d{3}(?:\.\d{2})?)?)(?![\w.])")


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light plural stemmer: enough for 'pantries'/'pantry', 'meals'/'meal', 'services'."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Folded words, stop words kept out (the unit the fuzzy matcher corrects)."""
    return [w for w in _SPLIT.split(fold(text)) if w and w not in STOP_WORDS]


def tokens(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def phrase_key(text: str) -> str:
    """The normalised form phrases are matched on: stemmed tokens joined by spaces."""
    return " ".join(tokens(text))
