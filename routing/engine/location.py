"""Where is the caller? From the caller ID first, else from the town or postal code they say.

An area code alone is often not enough in Ontario (705 covers Central East and the north-east;
905 and 519 span several regions), so the exchange decides where the data knows it, and
otherwise the caller is asked and the answer is matched against municipalities and postal
code prefixes (FSAs).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import phonenumbers
from rapidfuzz import fuzz, process, utils

from config.ontario import Deployment

POSTAL_RE = re.compile(r"([ABCEGHJ-NPRSTVXY])\s*(\d)\s*([A-Z])")
MUNICIPALITY_CUTOFF = 86.0


@dataclass(frozen=True)
class CallerIdGuess:
    region: str | None
    area_code: str | None
    candidates: list[str] = field(default_factory=list)  # regions to choose from when unsure


@dataclass(frozen=True)
class SpokenPlace:
    region: str
    source: str  # "postal" or "speech"
    matched: str


def region_from_caller_id(number: str | None, dep: Deployment) -> CallerIdGuess:
    """Region from a North American caller ID; `region` is None when the caller must be asked."""
    try:
        parsed = phonenumbers.parse(number or "", "CA")
    except phonenumbers.NumberParseException:
        return CallerIdGuess(None, None)
    if parsed.country_code != 1 or not phonenumbers.is_possible_number(parsed):
        return CallerIdGuess(None, None)
    national = f"{parsed.national_number:010d}"
    area_code, exchange = national[:3], national[3:6]
    if (area_code, exchange) in dep.exchanges:
        return CallerIdGuess(dep.exchanges[(area_code, exchange)], area_code)
    if area_code not in dep.area_code_default:
        return CallerIdGuess(None, None)  # not an Ontario number: ask
    default = dep.area_code_default[area_code]
    if default:
        return CallerIdGuess(default, area_code)
    # The regions this area code reaches, the one with the most exchanges first (the likeliest).
    spanned = Counter(region for (code, _x), region in dep.exchanges.items() if code == area_code)
    return CallerIdGuess(None, area_code, [region for region, _n in spanned.most_common()])


def postal_region(text: str, dep: Deployment) -> SpokenPlace | None:
    """Match the first thing that looks like a postal code's FSA (e.g. 'P3A 1B2', 'p 3 a')."""
    match = POSTAL_RE.search(text.upper())
    if not match:
        return None
    fsa = "".join(match.groups())
    for prefix in (fsa, fsa[:2], fsa[:1]):
        if prefix in dep.postal_prefixes:
            return SpokenPlace(dep.postal_prefixes[prefix], "postal", fsa)
    return None


def municipality_region(text: str, dep: Deployment) -> SpokenPlace | None:
    found = process.extractOne(
        text, dep.municipalities.keys(), scorer=fuzz.WRatio,
        processor=utils.default_process, score_cutoff=MUNICIPALITY_CUTOFF,
    )
    if not found:
        return None
    name = found[0]
    return SpokenPlace(dep.municipalities[name], "speech", dep.municipality_names[name])


def region_from_speech(text: str | None, dep: Deployment) -> SpokenPlace | None:
    """A spoken postal code wins over a town name; None when neither is recognised."""
    text = (text or "").strip()
    if not text:
        return None
    return postal_region(text, dep) or municipality_region(text, dep)
