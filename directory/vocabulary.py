"""The synonym and French vocabulary (directory/data/*.json), normalised for matching.

An entry maps phrases a caller or specialist says ("help paying rent", "aide au loyer") to
taxonomy code prefixes and to words the records use; `words` in fr.json translates single
French words. The files are data, not code: editors add entries without a release.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from directory.text import phrase_key, tokens

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Concept:
    label: str
    taxonomy: tuple[str, ...]
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    phrases: dict[str, Concept]  # phrase key -> concept
    words: dict[str, tuple[str, ...]]  # French token -> English tokens
    max_phrase_len: int


def _entries(path: Path) -> tuple[list[dict[str, object]], dict[str, list[str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("entries", []), data.get("words", {})


Entry = dict[str, object]


@lru_cache(maxsize=1)
def vocabulary(data_dir: Path = DATA_DIR) -> Vocabulary:
    return with_entries((), data_dir)


def with_entries(edited: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...],
                 data_dir: Path = DATA_DIR) -> Vocabulary:
    """The files' vocabulary with the admins' entries (phrases, taxonomy, terms) laid over it:
    an admin's phrase wins over the same phrase in the files, which is how a wrong mapping
    is corrected without a release (`directory.synonyms`)."""
    lists: list[list[Entry]] = [[{"phrases": list(p), "taxonomy": list(t), "terms": list(w)}
                                 for p, t, w in edited]]
    word_maps: list[dict[str, list[str]]] = []
    for name in ("synonyms.json", "fr.json"):
        entries, word_map = _entries(data_dir / name)
        lists.append(entries)
        word_maps.append(word_map)
    return _build(lists, word_maps)


def _build(lists: list[list[Entry]], word_maps: list[dict[str, list[str]]]) -> Vocabulary:
    phrases: dict[str, Concept] = {}
    translated: dict[str, tuple[str, ...]] = {}
    for entries in lists:
        for entry in entries:
            raw_phrases = [str(p) for p in entry["phrases"]]  # type: ignore[attr-defined]
            concept = Concept(
                label=raw_phrases[0],
                taxonomy=tuple(str(c) for c in entry.get("taxonomy", [])),  # type: ignore[attr-defined]
                terms=tuple(t for term in entry.get("terms", [])  # type: ignore[attr-defined]
                            for t in tokens(str(term))))
            for phrase in raw_phrases:
                key = phrase_key(phrase)
                if key:
                    phrases.setdefault(key, concept)
    for word_map in word_maps:
        for word, english in word_map.items():
            for token in tokens(word):
                translated[token] = tuple(t for e in english for t in tokens(e))
    longest = max((len(k.split()) for k in phrases), default=1)
    return Vocabulary(phrases=phrases, words=translated, max_phrase_len=longest)
