"""The lines a call can be put through to: tele-interpreter vendors and configured lines.

Two data files (sources and caveats in `config/data/SOURCES.md`):
- `call_lines.json`: the interpreter vendors (id, name, phone, access code) and the
  configured transfer lines (id, English and French names, phone). The line `crisis` has no
  phone of its own: its number is the `CRISIS_LINE_NUMBER` setting (default 988).
- `interpreter_codes.csv`: `vendor,language,code`, each vendor's code for each language it
  interprets (the digits its phone menu takes).

Both are checked when they are read, at start: phones are E.164 numbers (`phonenumbers`),
codes are digits only, every language is one of `interpreter_languages.csv`, every vendor
is known. Bad data stops start-up with the file and line (`CallLinesError`).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

CRISIS_LINE = "crisis"
# The short codes a configured number may be instead of E.164: Canada's N11 and 9-8-8.
SHORT_CODES = frozenset({"211", "311", "411", "511", "611", "711", "811", "911", "988"})
# DTMF pauses (Twilio's sendDigits: each `w` waits half a second) before the access code,
# for the vendor's greeting, and before the language code, for its prompt.
GREETING_PAUSE = "wwww"
PROMPT_PAUSE = "ww"


class CallLinesError(ValueError):
    """Bad call-line data: the message starts with the file and line."""


@dataclass(frozen=True)
class InterpreterVendor:
    id: str
    name: str
    phone: str
    access_code: str
    languages: dict[str, str] = field(default_factory=dict)  # language code -> vendor's code


@dataclass(frozen=True)
class CallLine:
    id: str
    name_en: str
    name_fr: str
    phone: str | None  # None: the crisis line, whose number is a setting

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" and self.name_fr else self.name_en


@dataclass(frozen=True)
class CallLines:
    vendors: dict[str, InterpreterVendor] = field(default_factory=dict)
    lines: dict[str, CallLine] = field(default_factory=dict)

    def vendors_for(self, language: str) -> list[InterpreterVendor]:
        """The vendors that interpret `language`, in the file's order (the first is preferred)."""
        return [v for v in self.vendors.values() if language in v.languages]


def dtmf_for(vendor: InterpreterVendor, language: str) -> str:
    """The digits to send once the vendor answers (Twilio's `sendDigits` on the Number):
    a pause for its greeting, the access code and #, a pause, the language's code and #.
    E.g. "wwww421907#ww101#" (`w` = half a second). KeyError: the vendor lacks the language."""
    return f"{GREETING_PAUSE}{vendor.access_code}#{PROMPT_PAUSE}{vendor.languages[language]}#"


def line_number(line: CallLine, crisis_number: str) -> str:
    """The number to dial for a configured line: the crisis line's is the setting."""
    return line.phone or crisis_number


def is_dialable(number: str) -> bool:
    """A valid E.164 number, or one of the short codes (9-8-8, 8-1-1, ...)."""
    if number in SHORT_CODES:
        return True
    if not number.startswith("+") or not number[1:].isdigit():
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def check_crisis_number(number: str) -> None:
    """CRISIS_LINE_NUMBER must be dialable: a typo would leave callers in crisis nowhere."""
    if not is_dialable(number):
        raise CallLinesError(f"CRISIS_LINE_NUMBER: {number!r} is not an E.164 number or 988")


def _line_of(text: str, needle: str) -> int:
    """The line of `needle` in a JSON file's text (1 when it is not found)."""
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _fail(path: Path, line: int, message: str) -> CallLinesError:
    return CallLinesError(f"{path}:{line}: {message}")


def _entry(path: Path, text: str, item: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """One JSON object with its fields checked; errors point at its `"id"` line."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        raise _fail(path, 1, f"an entry without an id: {item!r}")
    line = _line_of(text, f'"id": "{item["id"]}"')
    missing = [name for name in fields if name not in item]
    if missing:
        raise _fail(path, line, f"{item['id']}: missing {', '.join(missing)}")
    phone = item.get("phone")
    if phone is not None and not (isinstance(phone, str) and is_dialable(phone)):
        raise _fail(path, line, f"{item['id']}: phone {phone!r} is not an E.164 number")
    code = item.get("access_code")
    if "access_code" in fields and not (isinstance(code, str) and code.isdigit()):
        raise _fail(path, line, f"{item['id']}: access_code {code!r} must be digits only")
    return item


def _codes(path: Path, vendors: set[str], languages: set[str]) -> dict[str, dict[str, str]]:
    codes: dict[str, dict[str, str]] = {vendor: {} for vendor in vendors}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            vendor, language = (row.get("vendor") or "").strip(), (row.get("language") or "").strip()
            code = (row.get("code") or "").strip()
            if vendor not in vendors:
                raise _fail(path, number, f"unknown vendor {vendor!r}")
            if language not in languages:
                raise _fail(path, number, f"{language!r} is not in interpreter_languages.csv")
            if not code.isdigit():
                raise _fail(path, number, f"code {code!r} must be digits only")
            if language in codes[vendor]:
                raise _fail(path, number, f"{vendor} has two codes for {language}")
            codes[vendor][language] = code
    return codes


def load_call_lines(data_dir: Path, languages: set[str]) -> CallLines:
    """Read and check `call_lines.json` and `interpreter_codes.csv`; `languages`: the codes
    of interpreter_languages.csv."""
    path = data_dir / "call_lines.json"
    text = path.read_text(encoding="utf-8")
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise _fail(path, err.lineno, err.msg) from err
    vendors = [_entry(path, text, v, ("name", "phone", "access_code"))
               for v in spec.get("interpreter_vendors", [])]
    lines = [_entry(path, text, line, ("name_en", "name_fr", "phone"))
             for line in spec.get("lines", [])]
    for line in lines:
        if line["phone"] is None and line["id"] != CRISIS_LINE:
            raise _fail(path, _line_of(text, f'"id": "{line["id"]}"'),
                        f"{line['id']}: only the crisis line may leave its phone to the settings")
    codes = _codes(data_dir / "interpreter_codes.csv", {v["id"] for v in vendors}, languages)
    return CallLines(
        vendors={v["id"]: InterpreterVendor(id=v["id"], name=v["name"], phone=v["phone"],
                                            access_code=v["access_code"], languages=codes[v["id"]])
                 for v in vendors},
        lines={line["id"]: CallLine(id=line["id"], name_en=line["name_en"],
                                    name_fr=line["name_fr"], phone=line["phone"])
               for line in lines})
