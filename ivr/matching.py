"""Understanding what callers say: language choice, interpreter language, need category.

Fuzzy matching (rapidfuzz) absorbs speech-recognition slips ("panjabi", "fransay"); the
vocabulary comes from config data, never from code.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process, utils

from config.ontario import Deployment, InterpreterLanguage
from ivr.prompts import catalog

SPEECH_CUTOFF = 80.0
BUILT_IN_LANGUAGES = {
    "english": "en", "anglais": "en", "inglés": "en",
    "french": "fr", "français": "fr", "francais": "fr", "en français": "fr",
}


def _best(text: str, choices: dict[str, str], cutoff: float = SPEECH_CUTOFF) -> str | None:
    if not text.strip() or not choices:
        return None
    found = process.extractOne(text, choices.keys(), scorer=fuzz.WRatio,
                               processor=utils.default_process, score_cutoff=cutoff)
    return choices[found[0]] if found else None


def interpreter_vocabulary(dep: Deployment) -> dict[str, str]:
    words: dict[str, str] = {}
    for lang in dep.interpreter_languages:
        for name in (lang.name_en, lang.name_fr, *lang.aliases):
            if name:
                words.setdefault(name.lower(), lang.code)
    return words


def match_interpreter_language(speech: str | None, dep: Deployment) -> InterpreterLanguage | None:
    code = _best(speech or "", interpreter_vocabulary(dep))
    return next((lang for lang in dep.interpreter_languages if lang.code == code), None)


def match_language_choice(digits: str | None, speech: str | None) -> str | None:
    """'en', 'fr', 'other', or None when the answer was not understood."""
    choice = {"1": "en", "2": "fr", "3": "other"}.get((digits or "").strip()[:1])
    if choice:
        return choice
    return _best(speech or "", BUILT_IN_LANGUAGES)


def match_need(digits: str | None, speech: str | None, language: str, dep: Deployment) -> str | None:
    key = (digits or "").strip()[:1]
    for need in dep.needs:
        if key and key == need.digit:
            return need.id
    vocabulary = {word: need.id for need in dep.needs for word in need.words.get(language, ())}
    vocabulary.update({word: need.id for need in dep.needs for word in need.words.get("en", ())
                       if word not in vocabulary})
    return _best(speech or "", vocabulary, cutoff=75.0)


INFO_DIGIT = "9"  # disaster mode's information option, offered first in the need menu


def _words(language: str, key: str) -> dict[str, str]:
    return {word: key for word in catalog(language).get(key, [])}


def match_info_request(digits: str | None, speech: str | None, language: str) -> bool:
    """The caller asked for disaster mode's recorded information (9, or "information").

    Speech is matched word by word against whole words (`fuzz.ratio`), not as a fuzzy part
    of the sentence: a short word inside a longer one ("don" in "donc", "info" in "infos sur
    le logement") must not send a caller who asked for housing to the recording."""
    key = (digits or "").strip()[:1]
    if key:
        return key == INFO_DIGIT
    words = list(_words(language, "disaster_info_words"))
    spoken = utils.default_process(speech or "").split()
    return any(process.extractOne(word, words, scorer=fuzz.ratio, processor=utils.default_process,
                                  score_cutoff=91.0) for word in spoken if len(word) >= 6)


CRISIS_DIGIT = "8"  # the need menu's crisis option, offered first (1-6 needs, 9 disaster info)


def match_crisis(digits: str | None, speech: str | None, language: str) -> bool:
    """The caller asked for the crisis line (8, or "crisis", "suicide", "crise").

    Word by word against whole words, as `match_info_request` does, so that a word inside
    a longer one is not taken for it; the caller's words in either language count (a
    crisis is no time to insist on the language chosen)."""
    key = (digits or "").strip()[:1]
    if key:
        return key == CRISIS_DIGIT
    words = list({**_words(language, "crisis_words"), **_words("en", "crisis_words"),
                  **_words("fr", "crisis_words")})
    spoken = utils.default_process(speech or "").split()
    return any(process.extractOne(word, words, scorer=fuzz.ratio, processor=utils.default_process,
                                  score_cutoff=90.0) for word in spoken if len(word) >= 5)


def match_info_choice(digits: str | None, speech: str | None, language: str) -> str | None:
    """After the information: 'repeat' (1), 'specialist' (2), or None (not understood)."""
    choice = {"1": "repeat", "2": "specialist"}.get((digits or "").strip()[:1])
    if choice or digits:
        return choice
    vocabulary = {**_words(language, "disaster_info_repeat_words"),
                  **_words(language, "disaster_info_specialist_words")}
    found = _best(speech or "", vocabulary)
    if found is None:
        return None
    return "repeat" if found == "disaster_info_repeat_words" else "specialist"
