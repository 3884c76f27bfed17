"""Reading the untidy values real directory exports hold: times, weekdays, languages, text.

211 exports are typed by hand over years: "9:00am", "7:30 am ", "09:00:00", "5:00",
"Mon 24/7", "English & Creole". These helpers turn them into values the search can use and
return None (never raise) for what they cannot read, so one odd cell never blocks an import.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache

from config.ontario import data_files

WEEKDAYS = {
    "monday": 1, "mon": 1, "mo": 1, "tuesday": 2, "tue": 2, "tues": 2, "tu": 2,
    "wednesday": 3, "wed": 3, "we": 3, "thursday": 4, "thu": 4, "thur": 4, "thurs": 4, "th": 4,
    "friday": 5, "fri": 5, "fr": 5, "saturday": 6, "sat": 6, "sa": 6, "sunday": 7, "sun": 7,
    "su": 7,
}
_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap])?\.?\s*m?\.?\s*$", re.I)


def clean(value: str | None) -> str | None:
    """Trimmed text, or None for empty cells and the '-1' some exports use for 'none'."""
    if value is None:
        return None
    text = value.replace("\\n", "\n").strip()
    return text if text and text != "-1" else None


_MARKUP = re.compile(r"[ \t]*(?:#{2,}[ \t]*[A-Z]{0,6}[ \t]*#{2,}|#{3,})[ \t]*")
_LINE_END = re.compile(r"[ \t]+\n|\n[ \t]+(?=\S)")
_BLANK_RUN = re.compile(r"\n{3,}")


def prose(value: str | None) -> str | None:
    """A description as a person should read it: `clean`, without the source system's markers.

    211 Miami's export ends many descriptions with its editor's section markers (`###COL###`,
    `###MON###`, typed by hand as `##MON##`, `####COL####` or a lone `###`); they mean nothing
    to a specialist and would be read out as noise. Also used on rows imported before this
    existed (the search index and the details page pass descriptions through it again)."""
    text = clean(value)
    if text is None or "#" not in text:
        return text
    text = _LINE_END.sub("\n", _MARKUP.sub(" ", text))
    text = _BLANK_RUN.sub("\n\n", text).strip()
    return text or None


def parse_time(value: str | None) -> time | None:
    """'9:00am', '7:30 am ', '09:00:00', '17:00', '12:00am' -> time; None if unreadable."""
    match = _TIME.match(value or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(4) or "").lower()
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    if hour == 24 and minute == 0:
        return time(23, 59, 59)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_weekday(value: str | None) -> int | None:
    """'Monday', 'mon', 'MO' or HSDS's 1-7 (1 = Monday) -> 1..7."""
    text = (value or "").strip().lower().rstrip(".")
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 7 else None
    return WEEKDAYS.get(text)


def parse_date(value: str | None) -> date | None:
    text = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text[:19], fmt).date()
        except ValueError:
            continue
    return None


def parse_float(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number not in (0.0, -1.0) else None


def parse_bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "y", "t"}


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """Every way a language is written (English, French, aliases, ISO code) -> ISO code."""
    names: dict[str, str] = {
        "english": "en", "anglais": "en", "en": "en", "french": "fr", "français": "fr",
        "francais": "fr", "fr": "fr", "creole": "ht", "haitian creole": "ht", "kreyol": "ht",
        "créole": "ht", "asl": "ase", "american sign language": "ase", "sign language": "ase",
        "chinese": "zh", "german": "de", "japanese": "ja", "hebrew": "he", "greek": "el",
    }
    for lang in data_files().interpreter_languages:
        for name in (lang.code, lang.name_en, lang.name_fr, *lang.aliases):
            names.setdefault(name.lower(), lang.code)
    return names


@lru_cache(maxsize=4096)
def language_codes(text: str) -> tuple[str, ...]:
    """The languages named in a free-text cell ('English & Creole', 'Espanol') as ISO codes."""
    names = _language_names()
    lowered = text.lower()
    found: list[str] = []
    for word in re.split(r"[^\wéèêçñõôíóúáàâ]+", lowered):
        code = names.get(word)
        if code and code not in found:
            found.append(code)
    for name, code in names.items():
        if " " in name and name in lowered and code not in found:
            found.append(code)
    return tuple(found)


def language_code(value: str) -> str | None:
    """A filter value ('fr', 'French', 'français') -> ISO code, None if unknown."""
    text = value.strip().lower()
    return _language_names().get(text)
