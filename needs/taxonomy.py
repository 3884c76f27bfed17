"""Coding needs with the AIRS/211 taxonomy: the hierarchy of a code, known terms, type-ahead.

The hierarchy is in the code itself (B > BD > BD-1800 > BD-1800.2000 > BD-1800.2000-620 >
BD-1800.2000-620.05), so reports roll up by prefix even where the directory's table lacks an
intermediate term. A code may be coded when it is in the directory's taxonomy table
(`dir_taxonomy_terms`) or is an ancestor of a term there; names come from that table, then
from `needs/data/taxonomy_names.json` (which also holds the French names).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import TaxonomyTerm
from directory.text import phrase_key
from directory.vocabulary import vocabulary

NAMES_FILE = Path(__file__).resolve().parent / "data" / "taxonomy_names.json"
AIRS_CODE = re.compile(r"^([A-Z])([A-Z])?(?:-(\d{4})(?:\.(\d{4})(?:-(\d{3})(?:\.(\d{2}))?)?)?)?$")
SEPARATORS = ("", "", "-", ".", "-", ".")


def ancestors(code: str) -> list[str]:
    """The code and every level above it, top first; a code outside AIRS's shape stands alone."""
    match = AIRS_CODE.match(code)
    if not match:
        return [code]
    chain, current = [], ""
    for separator, part in zip(SEPARATORS, match.groups(), strict=True):
        if part is None:
            break
        current += separator + part
        chain.append(current)
    return chain


def level(code: str) -> int:
    return len(ancestors(code))


def parent(code: str) -> str | None:
    chain = ancestors(code)
    return chain[-2] if len(chain) > 1 else None


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    name_fr: str | None
    level: int

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "name_fr": self.name_fr, "level": self.level,
                "parent": parent(self.code)}


@lru_cache(maxsize=1)
def shipped_names() -> dict[str, dict[str, str]]:
    return dict(json.loads(NAMES_FILE.read_text(encoding="utf-8"))["terms"])


class Taxonomy:
    """Every codable term, from the directory's table plus the upper levels it implies."""

    def __init__(self, rows: list[tuple[str, str, str | None, str | None]]) -> None:
        shipped = shipped_names()
        english: dict[str, str] = {code: names["en"] for code, names in shipped.items()}
        for code, name, parent_code, parent_name in rows:
            english[code] = name
            if parent_code and parent_name:
                english.setdefault(parent_code, parent_name)
        codes = {a for code, *_ in rows for a in ancestors(code)} | set(shipped)
        self.terms = {code: Term(code, english.get(code, code), shipped.get(code, {}).get("fr"),
                                 level(code)) for code in codes}

    def __contains__(self, code: object) -> bool:
        return code in self.terms

    def name(self, code: str) -> str:
        term = self.terms.get(code)
        return term.name if term else code

    def suggest(self, query: str, limit: int = 15) -> list[Term]:
        """Type-ahead: code prefix first, then names (English or French) by word prefix, then
        the directory's synonym and French phrases that map to codes, then names containing it."""
        raw = query.strip()
        if not raw:
            return []
        key = phrase_key(raw)
        ranked: dict[str, tuple[int, int, str]] = {}

        def offer(code: str, rank: int) -> None:
            term = self.terms.get(code)
            if term and (code not in ranked or ranked[code][0] > rank):
                ranked[code] = (rank, term.level, code)

        upper = raw.upper()
        for code, term in self.terms.items():
            names = [phrase_key(term.name)] + ([phrase_key(term.name_fr)] if term.name_fr else [])
            if code.startswith(upper):
                offer(code, 0)
            elif key and any(n.startswith(key) or f" {key}" in n for n in names):
                offer(code, 1)
            elif key and any(key in n for n in names):
                offer(code, 3)
        if key:
            for phrase, concept in vocabulary().phrases.items():
                if phrase.startswith(key):
                    for code in concept.taxonomy:
                        offer(code, 2)
        best = sorted(ranked.values())[:limit]
        return [self.terms[code] for _, _, code in best]


def load_taxonomy(db: Session) -> Taxonomy:
    rows = db.execute(select(TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.parent_code,
                             TaxonomyTerm.parent_name)).all()
    return Taxonomy([tuple(row) for row in rows])  # type: ignore[misc]
