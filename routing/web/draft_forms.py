"""Forms for editing the draft's providers, regions, schedules and rules field by field.

Each form knows how to fill itself from one item of the document (`load`) and how to turn
what the admin typed back into that item (`item`), keeping keys it does not show. Choices
(providers, regions, languages, schedules, needs, interpreter languages) come from the draft
and the deployment, plus whatever the item names today even if unknown, so a stale reference
is shown, and reported, rather than silently dropped. Flask-WTF adds the CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from typing import Any

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from config.ontario import Deployment
from routing.engine.draft_edit import as_dict, items
from routing.engine.ruleset import ACTIONS, CALLBACK, ENQUEUE, INTERPRETER, MESSAGE, TRANSFER
from routing.engine.schedule import DAY, WEEKDAYS, ScheduleError, parse_hhmm, parse_schedule
from routing.engine.validation import GEOGRAPHY_KEYS, valid_number

Choices = list[tuple[str, str]]  # (value, label), made into SelectChoice by `opts`
WINDOWS_PER_DAY = 2  # a split shift (e.g. closed over lunch); more needs the JSON editor
DEFAULT_OVERFLOW, NO_OVERFLOW = "", "-"  # ids cannot start with '-', so these never clash
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when the input has a step
MIDNIGHT = time(0, 0)


class MultiCheckboxField(SelectMultipleField):
    """A multi-select shown as checkboxes: easier than ctrl-click for a handful of names."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


@dataclass(frozen=True)
class DraftChoices:
    """What the selects offer: the draft's own names, and the deployment's needs and languages."""

    providers: Choices
    regions: Choices
    languages: Choices
    schedules: Choices
    needs: Choices
    interpreters: Choices

    @classmethod
    def of(cls, doc: dict[str, Any], dep: Deployment) -> DraftChoices:
        schedules = as_dict(doc.get("schedules"))
        return cls(
            providers=[(str(p.get("id")), f"{p.get('id')} — {p.get('name') or ''}".rstrip(" —"))
                       for p in items(doc, "providers")],
            regions=[(str(r.get("id")), f"{r.get('id')} — {r.get('name_en') or ''}".rstrip(" —"))
                     for r in items(doc, "regions")],
            languages=[(str(code), str(code)) for code in doc.get("languages") or ("en", "fr")],
            schedules=[(str(name), str(name)) for name in schedules],
            needs=[(need, need) for need in dict.fromkeys([*(n.id for n in dep.needs), "other"])],
            interpreters=[(lang.code, f"{lang.code} — {lang.name_en}")
                          for lang in dep.interpreter_languages] + [("und", "und — not known yet")],
        )


def opts(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Select options as WTForms wants them from 3.3 on (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


def with_current(choices: Choices, *current: Any) -> Choices:
    """`choices` plus any value the item already has that they lack, marked as unknown."""
    known = {value for value, _label in choices}
    extra: Choices = []
    for value in current:
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and name and name not in known:
                extra.append((name, f"{name} (unknown)"))
                known.add(name)
    return choices + extra


def optional_choice(blank: str, choices: Choices, current: Any) -> Choices:
    """A select whose empty value means `blank` (none, any, the default), then the names."""
    return [("", blank), *with_current(choices, current)]


def split_list(text: str | None, commas: bool = True) -> list[str]:
    """One per line (or comma-separated when `commas`), trimmed, blanks and repeats dropped."""
    parts = re.split(r"[\n,]" if commas else r"\n", text or "")
    return list(dict.fromkeys(part.strip() for part in parts if part.strip()))


def e164(number: str) -> str:
    """A valid number in the form Twilio dials (+1...); anything else as typed, for the check."""
    if not valid_number(number):
        return number.strip()
    parsed = phonenumbers.parse(number, "CA")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _kept(base: dict[str, Any], managed: tuple[str, ...]) -> dict[str, Any]:
    """The item's keys no form field manages (kept as they are on save)."""
    return {key: value for key, value in base.items() if key not in managed}


class ProviderForm(FlaskForm):
    """A contact centre: its queue, languages, longest wait and where callers go after it."""

    item_id = StringField("Id", validators=[DataRequired(), Length(max=64)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    name_fr = StringField("French name (empty: the name)", validators=[Length(max=120)])
    city = StringField("City", validators=[Length(max=80)])
    queue = StringField("Queue (empty: 211-<id>)", validators=[Length(max=80)])
    languages = MultiCheckboxField("Answers in", validators=[DataRequired("pick at least one")])
    max_wait_seconds = IntegerField("Longest wait before overflow (seconds)", default=600,
                                    validators=[InputRequired(), NumberRange(min=1, max=86400)])
    overflow = SelectField("Overflow to")

    MANAGED = ("id", "name", "name_fr", "city", "queue", "languages", "overflow", "max_wait_seconds")

    def set_choices(self, choices: DraftChoices, base: dict[str, Any]) -> None:
        own = base.get("id")
        self.languages.choices = opts(with_current(choices.languages, base.get("languages")))
        others = [(value, label) for value, label in choices.providers if value != own]
        self.overflow.choices = opts(optional_choice("no overflow", others, base.get("overflow")))

    @staticmethod
    def load(base: dict[str, Any]) -> dict[str, Any]:
        return {"item_id": base.get("id"), "name": base.get("name"), "name_fr": base.get("name_fr"),
                "city": base.get("city"),
                "queue": base.get("queue"), "languages": _names(base.get("languages")),
                "max_wait_seconds": base.get("max_wait_seconds") or 600,
                "overflow": base.get("overflow") or ""}

    def item(self, base: dict[str, Any]) -> dict[str, Any]:
        item_id = (self.item_id.data or "").strip()
        return {"id": item_id, "name": (self.name.data or "").strip(),
                "name_fr": (self.name_fr.data or "").strip(),
                "city": (self.city.data or "").strip(),
                "queue": (self.queue.data or "").strip() or f"211-{item_id}",
                "languages": list(self.languages.data or []), "overflow": self.overflow.data or None,
                "max_wait_seconds": self.max_wait_seconds.data, **_kept(base, self.MANAGED)}


AREA_CODE = re.compile(r"^[2-9]\d{2}$")
POSTAL_PREFIX = re.compile(r"^[ABCEGHJ-NPRSTVXY](\d[A-Z]?)?$")
PLACE_HELP = {
    "area_codes": "Area codes (e.g. 705), one a line or comma-separated",
    "exchanges": "Exchanges as area code-exchange (e.g. 705-522), one a line or comma-separated",
    "postal_prefixes": "Postal code prefixes (P, P3 or P3A), one a line or comma-separated",
    "municipalities": "Municipalities, one a line (English or French name)",
}


def _exchange(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 6 and AREA_CODE.match(digits[:3]) \
        and AREA_CODE.match(digits[3:]) else text


def clean_places(key: str, text: str | None) -> tuple[list[str], list[str]]:
    """The places typed for one geography key, normalised; and the entries that are not places."""
    values = split_list(text, commas=key != "municipalities")
    if key == "exchanges":
        values = [_exchange(v) for v in values]
        bad = [v for v in values if not re.match(r"^\d{3}-\d{3}$", v)]
    elif key == "postal_prefixes":
        values = [v.upper().replace(" ", "") for v in values]
        bad = [v for v in values if not POSTAL_PREFIX.match(v)]
    elif key == "area_codes":
        bad = [v for v in values if not AREA_CODE.match(v)]
    else:
        bad = [v for v in values if len(v) > 80]
    return list(dict.fromkeys(values)), bad


class RegionForm(FlaskForm):
    """A region, its provider, and the places the draft moves into it (over the data files)."""

    item_id = StringField("Id", validators=[DataRequired(), Length(max=64)])
    name_en = StringField("English name", validators=[DataRequired(), Length(max=120)])
    name_fr = StringField("French name (empty: the English name)", validators=[Length(max=120)])
    provider = SelectField("Provider")
    area_codes = TextAreaField(PLACE_HELP["area_codes"], validators=[Length(max=5000)])
    exchanges = TextAreaField(PLACE_HELP["exchanges"], validators=[Length(max=20000)])
    postal_prefixes = TextAreaField(PLACE_HELP["postal_prefixes"], validators=[Length(max=20000)])
    municipalities = TextAreaField(PLACE_HELP["municipalities"], validators=[Length(max=50000)])

    MANAGED = ("id", "name_en", "name_fr", "provider")

    def set_choices(self, choices: DraftChoices, base: dict[str, Any]) -> None:
        self.provider.choices = opts(optional_choice("(none)", choices.providers, base.get("provider")))

    @staticmethod
    def load(base: dict[str, Any], places: dict[str, list[str]]) -> dict[str, Any]:
        return {"item_id": base.get("id"), "name_en": base.get("name_en"),
                "name_fr": base.get("name_fr"), "provider": base.get("provider") or "",
                **{key: "\n".join(values) for key, values in places.items()}}

    def places(self) -> dict[str, list[str]]:
        """The geography lists, recording a field error for each entry that is not a place."""
        found: dict[str, list[str]] = {}
        for key in GEOGRAPHY_KEYS:
            values, bad = clean_places(key, self[key].data)
            if bad:
                self[key].errors = [*self[key].errors, f"not understood: {', '.join(bad[:10])}"]
            found[key] = values
        return found

    def item(self, base: dict[str, Any]) -> dict[str, Any]:
        name_en = (self.name_en.data or "").strip()
        return {"id": (self.item_id.data or "").strip(), "name_en": name_en,
                "name_fr": (self.name_fr.data or "").strip() or name_en,
                "provider": self.provider.data or "", **_kept(base, self.MANAGED)}


class WindowForm(Form):
    """One opening: both times or neither; a close at or before the open runs past midnight."""

    opens = TimeField("Opens", format=TIME_FORMATS, validators=[Optional()])
    closes = TimeField("Closes", format=TIME_FORMATS, validators=[Optional()])
    overnight = BooleanField("Past midnight")

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        problem, where = self._problem()
        if problem:
            self[where].errors = [*self[where].errors, problem]
        return problem is None

    def _problem(self) -> tuple[str | None, str]:
        opens, closes = self.opens.data, self.closes.data
        if (opens is None) != (closes is None):
            return "give both times, or neither for closed", "opens" if opens is None else "closes"
        if opens is None or closes is None:
            return None, "closes"
        same_day = closes == MIDNIGHT or closes > opens  # 00:00 closes at the end of the day
        if not same_day and not self.overnight.data:
            return "closes before it opens: tick 'past midnight' if it runs overnight", "closes"
        if same_day and self.overnight.data and closes != MIDNIGHT:
            return "'past midnight' is ticked but it closes the same day", "overnight"
        return None, "closes"

    def window(self) -> list[str] | None:
        """[start, end] as the schedule stores it, or None when closed."""
        opens, closes = self.opens.data, self.closes.data
        if opens is None or closes is None:
            return None
        end = "24:00" if closes == MIDNIGHT else closes.strftime("%H:%M")
        return [opens.strftime("%H:%M"), end]


def window_data(window: Any) -> dict[str, Any]:
    """A stored [start, end] as the form shows it: 24:00 is 00:00, and a wrap is ticked."""
    start, end = parse_hhmm(str(window[0])), parse_hhmm(str(window[1]))
    return {"opens": time(start // 60, start % 60), "closes": time(end % DAY // 60, end % 60),
            "overnight": 0 < end < DAY and end <= start}


def _windows() -> FieldList:
    return FieldList(FormField(WindowForm), min_entries=WINDOWS_PER_DAY, max_entries=WINDOWS_PER_DAY)


class ScheduleForm(FlaskForm):
    """Weekly opening hours (up to two openings a day) and what happens on holidays."""

    item_id = StringField("Name", validators=[DataRequired(), Length(max=64)])
    mon, tue, wed, thu, fri, sat, sun = (_windows() for _day in WEEKDAYS)
    holidays = SelectField("On holidays and closure days", choices=opts([
        ("closed", "closed"), ("weekly", "the weekly hours"), ("hours", "the holiday hours below")]))
    holiday_windows = _windows()

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.holidays.data == "hours" and not self.holiday_windows_spec():
            self.holidays.errors = [*self.holidays.errors, "give the holiday hours below"]
            return False
        return ok

    def day_windows(self, day: str) -> list[list[str]]:
        return [w for entry in self[day] if (w := entry.form.window()) is not None]

    def holiday_windows_spec(self) -> list[list[str]]:
        return [w for entry in self.holiday_windows if (w := entry.form.window()) is not None]

    @staticmethod
    def fits(spec: Any) -> bool:
        """Whether the form can show this schedule without losing openings (or misreading them)."""
        try:
            parse_schedule("check", spec)
        except (ScheduleError, AttributeError, TypeError):
            return False
        holidays = spec.get("holidays", "closed")
        lists = [*(spec.get("weekly") or {}).values(), holidays if isinstance(holidays, list) else []]
        return all(w is None or (isinstance(w, list) and len(w) <= WINDOWS_PER_DAY) for w in lists) and \
            (isinstance(holidays, list) or holidays in ("closed", "weekly"))

    @staticmethod
    def load(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        weekly = spec.get("weekly") or {}
        holidays = spec.get("holidays", "closed")
        data: dict[str, Any] = {day: [window_data(w) for w in weekly.get(day) or []]
                                for day in WEEKDAYS}
        data["holidays"] = "hours" if isinstance(holidays, list) else holidays
        data["holiday_windows"] = [window_data(w) for w in holidays] \
            if isinstance(holidays, list) else []
        return {"item_id": name, **data}

    def spec(self, base: dict[str, Any]) -> dict[str, Any]:
        weekly = {day: windows for day in WEEKDAYS if (windows := self.day_windows(day))}
        policy = self.holidays.data
        holidays: Any = self.holiday_windows_spec() if policy == "hours" else policy
        return {"weekly": weekly, "holidays": holidays, **_kept(base, ("weekly", "holidays"))}


TRISTATE = [("", "either"), ("yes", "yes"), ("no", "no")]


class RuleForm(FlaskForm):
    """One rule: when it applies (every condition optional) and what it does."""

    item_id = StringField("Id", validators=[DataRequired(), Length(max=64)])
    description = StringField("Description", validators=[Length(max=500)])
    enabled = BooleanField("Enabled", default=True)
    position = SelectField("Place it", validate_choice=False)
    regions = MultiCheckboxField("Regions (none ticked: any)")
    languages = MultiCheckboxField("Languages (none ticked: any)")
    needs = MultiCheckboxField("Needs (none ticked: any)")
    interpreter = SelectField("Caller asked for an interpreter", choices=opts(TRISTATE))
    schedule = SelectField("Schedule (none: any time)")
    schedule_state = SelectField("when the schedule is",
                                 choices=opts([("open", "open"), ("closed", "closed")]))
    day = SelectField("Day", choices=opts([("", "any day"), ("regular", "regular days"),
                                           ("holiday", "holidays and closure days")]))
    queue = SelectField("Queue whose live figures count (none: the action's provider)")
    waiting_at_least = IntegerField("At least this many callers waiting",
                                    validators=[Optional(), NumberRange(min=0)])
    expected_wait_at_least = IntegerField("Expected wait at least (seconds)",
                                          validators=[Optional(), NumberRange(min=0)])
    no_specialist = BooleanField("No specialist signed in")
    action = SelectField("Action", choices=opts([
        (ENQUEUE, "enqueue at a provider"), (TRANSFER, "transfer to a number"),
        (MESSAGE, "play a message, then go on"), (INTERPRETER, "add an interpreter, then go on"),
        (CALLBACK, "offer a callback on hold, then go on")]))
    provider = SelectField("Provider")
    max_wait_seconds = IntegerField("Longest wait (seconds; empty: the provider's)",
                                    validators=[Optional(), NumberRange(min=1, max=86400)])
    overflow = SelectField("Overflow")
    number = StringField("Transfer number", validators=[Length(max=32)])
    text_en = TextAreaField("Message, English", validators=[Length(max=2000)])
    text_fr = TextAreaField("Message, French", validators=[Length(max=2000)])
    language = SelectField("Interpreter language")
    after_seconds = IntegerField("Offer a callback once the expected wait is at least (seconds)",
                                 validators=[Optional(), NumberRange(min=0, max=86400)])

    def set_choices(self, choices: DraftChoices, base: dict[str, Any], rule_ids: list[str]) -> None:
        when, then = _part(base, "when"), _part(base, "then")
        self.regions.choices = opts(with_current(choices.regions, when.get("regions")))
        self.languages.choices = opts(with_current(choices.languages, when.get("languages")))
        self.needs.choices = opts(with_current(choices.needs, when.get("needs")))
        self.schedule.choices = opts(optional_choice("(any time)", choices.schedules, when.get("schedule")))
        self.queue.choices = opts(optional_choice("(the action's provider)", choices.providers,
                                             when.get("queue")))
        self.provider.choices = opts(optional_choice("(choose)", choices.providers, then.get("provider")))
        self.overflow.choices = opts([(DEFAULT_OVERFLOW, "the provider's own overflow"),
                                 (NO_OVERFLOW, "no overflow"),
                                 *with_current(choices.providers, then.get("overflow"))])
        self.language.choices = opts(optional_choice("the caller's language", choices.interpreters,
                                                then.get("language")))
        self.position.choices = opts([("", "at the end"), *((i, f"before {i}") for i in rule_ids)])

    @staticmethod
    def load(base: dict[str, Any]) -> dict[str, Any]:
        when, then = _part(base, "when"), _part(base, "then")
        interpreter = when.get("interpreter")
        overflow = then.get("overflow", DEFAULT_OVERFLOW)
        return {
            "item_id": base.get("id"), "description": base.get("description"),
            "enabled": bool(base.get("enabled", True)),
            **{key: _names(when.get(key)) for key in ("regions", "languages", "needs")},
            "interpreter": "" if interpreter is None else ("yes" if interpreter else "no"),
            "schedule": when.get("schedule") or "", "schedule_state": when.get("schedule_state", "open"),
            "day": when.get("day") or "", "queue": when.get("queue") or "",
            "waiting_at_least": when.get("waiting_at_least"),
            "expected_wait_at_least": when.get("expected_wait_at_least"),
            "no_specialist": bool(when.get("no_specialist")),
            "action": then.get("type") if then.get("type") in ACTIONS else ENQUEUE,
            "provider": then.get("provider") or "", "max_wait_seconds": then.get("max_wait_seconds"),
            "overflow": NO_OVERFLOW if overflow is None else overflow,
            "number": then.get("number"), "text_en": then.get("text_en"), "text_fr": then.get("text_fr"),
            "language": then.get("language") or "",
            "after_seconds": then.get("after_seconds"),
        }

    def when(self) -> dict[str, Any]:
        """The conditions the admin set; an empty field is no condition at all."""
        when: dict[str, Any] = {key: list(self[key].data) for key in ("regions", "languages", "needs")
                                if self[key].data}
        if self.interpreter.data:
            when["interpreter"] = self.interpreter.data == "yes"
        if self.schedule.data:
            when["schedule"] = self.schedule.data
            if self.schedule_state.data == "closed":  # "open" is the default: not written
                when["schedule_state"] = "closed"
        for key in ("day", "queue"):
            if self[key].data:
                when[key] = self[key].data
        for key in ("waiting_at_least", "expected_wait_at_least"):
            if self[key].data is not None:
                when[key] = self[key].data
        if self.no_specialist.data:
            when["no_specialist"] = True
        return when

    def then(self) -> dict[str, Any]:
        """The action with only the fields its type uses (a transfer keeps no provider)."""
        kind = self.action.data
        if kind == TRANSFER:
            return {"type": kind, "number": e164(self.number.data or "")}
        if kind == MESSAGE:
            return {"type": kind, "text_en": (self.text_en.data or "").strip(),
                    "text_fr": (self.text_fr.data or "").strip()}
        if kind == INTERPRETER:
            return {"type": kind, **({"language": self.language.data} if self.language.data else {})}
        if kind == CALLBACK:
            return {"type": kind, "after_seconds": self.after_seconds.data}
        then: dict[str, Any] = {"type": ENQUEUE, "provider": self.provider.data or None}
        if self.max_wait_seconds.data is not None:
            then["max_wait_seconds"] = self.max_wait_seconds.data
        if self.overflow.data != DEFAULT_OVERFLOW:
            then["overflow"] = None if self.overflow.data == NO_OVERFLOW else self.overflow.data
        return then

    def item(self, base: dict[str, Any]) -> dict[str, Any]:
        rule: dict[str, Any] = {"id": (self.item_id.data or "").strip()}
        if (self.description.data or "").strip():
            rule["description"] = self.description.data.strip()
        if not self.enabled.data:
            rule["enabled"] = False
        rule.update(when=self.when(), then=self.then())
        return {**rule, **_kept(base, ("id", "description", "enabled", "when", "then"))}


def _names(value: Any) -> list[str]:
    """A list of names from the document (anything else shows as none, and the check says why)."""
    return [str(v) for v in value] if isinstance(value, list) else []


def _part(rule: dict[str, Any], key: str) -> dict[str, Any]:
    return as_dict(rule.get(key))


def default_position(doc: dict[str, Any]) -> str:
    """Where a new rule goes by default: before a final catch-all rule, which would hide it."""
    rules = items(doc, "rules")
    last = rules[-1] if rules else None
    return str(last.get("id")) if last and not _part(last, "when") else ""
