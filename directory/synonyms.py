"""The admins' synonyms: phrases callers say mapped to taxonomy codes and to record words,
edited on the search feedback page, validated, versioned (each save a new numbered row with
who, when and what changed) and picked up by every worker's search index without a restart
(a save bumps the directory version; `directory.search_loader` rebuilds in the background).

One entry a line, so an admin can add "mortgage arrears" from the feedback list in a second:

    mortgage arrears, behind on mortgage = BH-3800 | mortgage, arrears

phrases (comma-separated) `=` taxonomy code prefixes (comma-separated) `|` record words; the
codes, the words or both. A code must cover at least one code of the directory's taxonomy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.models import SynonymVersion, TaxonomyTerm
from directory.text import phrase_key

MAX_LINES = 1000
MAX_LINE = 500
CODE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,39}$")

EditedEntry = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Parsed:
    entries: list[dict[str, list[str]]]
    errors: list[str]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _covers(code: str, known: list[str]) -> bool:
    return any(k == code or (k.startswith(code) and (len(code) <= 2 or k[len(code)] in ".-"))
               for k in known)


def parse(text: str, known_codes: list[str]) -> Parsed:
    """The entries of the edited text, or every line's error (line number and reason)."""
    entries: list[dict[str, list[str]]] = []
    errors: list[str] = []
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        return Parsed([], [f"at most {MAX_LINES} lines"])
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry, error = _parse_line(line, known_codes)
        if error is None:
            for phrase in entry["phrases"]:
                key = phrase_key(phrase)
                if key in seen:
                    error = f"'{phrase}' is already on line {seen[key]}"
                    break
                seen[key] = number
        if error is not None:
            errors.append(f"line {number}: {error}")
        else:
            entries.append(entry)
    return Parsed(entries if not errors else [], errors)


def _parse_line(line: str, known_codes: list[str]) -> tuple[dict[str, list[str]], str | None]:
    if len(line) > MAX_LINE:
        return {}, f"longer than {MAX_LINE} characters"
    left, _bar, terms_text = line.partition("|")
    phrases_text, _eq, codes_text = left.partition("=")
    phrases, terms = _split(phrases_text), _split(terms_text)
    codes = [c.upper() for c in _split(codes_text)]
    if not phrases or any(not phrase_key(p) for p in phrases):
        return {}, "no phrase before '=' (phrases are words, comma-separated)"
    if not codes and not terms:
        return {}, "say what the phrases mean: '= CODE' and/or '| words'"
    for code in codes:
        if not CODE.match(code):
            return {}, f"'{code}' is not a taxonomy code"
        if not _covers(code, known_codes):
            return {}, f"no service category has the code {code}"
    if any(not phrase_key(t) for t in terms):
        return {}, "record words must be words"
    return {"phrases": phrases, "taxonomy": codes, "terms": terms}, None


def to_text(entries: list[dict[str, list[str]]]) -> str:
    lines = []
    for entry in entries:
        line = ", ".join(entry["phrases"])
        if entry.get("taxonomy"):
            line += " = " + ", ".join(entry["taxonomy"])
        if entry.get("terms"):
            line += " | " + ", ".join(entry["terms"])
        lines.append(line)
    return "\n".join(lines)


def known_codes(db: Session) -> list[str]:
    return list(db.scalars(select(TaxonomyTerm.code)))


def latest(db: Session) -> SynonymVersion | None:
    return db.scalar(select(SynonymVersion).order_by(SynonymVersion.number.desc()).limit(1))


def history(db: Session, limit: int = 50) -> list[SynonymVersion]:
    return list(db.scalars(select(SynonymVersion).order_by(SynonymVersion.number.desc())
                           .limit(limit)))


def edited(db: Session) -> tuple[EditedEntry, ...]:
    """The live entries in the hashable shape `directory.vocabulary.with_entries` takes."""
    version = latest(db)
    return tuple((tuple(e["phrases"]), tuple(e.get("taxonomy", [])), tuple(e.get("terms", [])))
                 for e in (version.entries if version else []))


def _keys(entries: list[dict[str, list[str]]]) -> dict[str, str]:
    return {phrase_key(p): p for e in entries for p in e["phrases"]}


def summary(before: list[dict[str, list[str]]], after: list[dict[str, list[str]]]) -> str:
    """What changed, by phrase: added, removed, changed meaning."""
    old = {phrase_key(p): e for e in before for p in e["phrases"]}
    new = {phrase_key(p): e for e in after for p in e["phrases"]}
    names = {**_keys(before), **_keys(after)}
    added = [names[k] for k in new if k not in old]
    removed = [names[k] for k in old if k not in new]
    changed = [names[k] for k in new if k in old and new[k] != old[k]]
    parts = [f"{label}: {', '.join(items)}" for label, items in
             (("added", added), ("removed", removed), ("changed", changed)) if items]
    return "; ".join(parts) or "no change"


def save(db: Session, entries: list[dict[str, list[str]]], actor: str, at: datetime,
         ) -> SynonymVersion:
    """A new version (in the caller's unit of work); the number is the next after the latest
    (two admins saving at once: the unique number refuses the second, who saves again)."""
    previous = latest(db)
    number = (db.scalar(select(func.max(SynonymVersion.number))) or 0) + 1
    version = SynonymVersion(number=number, entries=entries, saved_at=at, saved_by=actor,
                             summary=summary(previous.entries if previous else [], entries))
    db.add(version)
    db.flush()
    return version
