"""The admins' rule set: a versioned JSON document, and the typed form the evaluator runs.

The document holds providers, regions (with geography overrides), schedules, closure days and
an ordered list of rules. Each rule has conditions (`when`) and one action (`then`):

    {"id": "north-open", "when": {"regions": ["north"], "schedule": "regional_hours"},
     "then": {"type": "enqueue", "provider": "north"}}

Conditions: regions, languages, needs, interpreter (true/false), schedule + schedule_state
("open"/"closed"), day ("holiday"/"regular"), and live queue figures: waiting_at_least,
expected_wait_at_least (seconds), no_specialist, read at `queue` (default: the action's
provider). Actions: enqueue (provider, optional max_wait_seconds and overflow), transfer
(number), message (text_en, text_fr; then go on), interpreter (language; then go on),
callback (after_seconds; then go on): callers whose expected wait on hold is at least
`after_seconds` are offered "press 1 to keep your place and be called back". When several
callback rules match a call, the lowest `after_seconds` applies, so a rule put first (an
overlay's, e.g. disaster mode) can only lower the threshold, never raise it.

`parse_ruleset` checks shape only and names every problem; `routing.engine.validation` checks meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from config.ontario import Provider, Region
from routing.engine.schedule import Closure, HolidayCalendar, Schedule, ScheduleError, parse_schedule

ENQUEUE, TRANSFER, MESSAGE, INTERPRETER = "enqueue", "transfer", "message", "interpreter"
CALLBACK = "callback"
ACTIONS = (ENQUEUE, TRANSFER, MESSAGE, INTERPRETER, CALLBACK)
TERMINAL = (ENQUEUE, TRANSFER)
LIVE_KEYS = ("waiting_at_least", "expected_wait_at_least", "no_specialist")
CONDITION_KEYS = ("regions", "languages", "needs", "interpreter", "schedule", "schedule_state",
                  "day", "queue", *LIVE_KEYS)
DEFAULT_OVERFLOW = object()  # the action did not say: use the provider's own overflow


class RuleSetInvalid(ValueError):
    """The document cannot be read; `problems` names each place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Conditions:
    regions: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    needs: frozenset[str] | None = None
    interpreter: bool | None = None
    schedule: str | None = None
    schedule_state: str = "open"
    day: str | None = None  # "holiday" | "regular"
    queue: str | None = None
    waiting_at_least: int | None = None
    expected_wait_at_least: int | None = None
    no_specialist: bool = False

    @property
    def live(self) -> bool:
        return (self.waiting_at_least is not None or self.expected_wait_at_least is not None
                or self.no_specialist)

    @property
    def per_call(self) -> bool:
        """Conditions on the call itself beyond region, language and time."""
        return self.needs is not None or self.interpreter is not None


@dataclass(frozen=True)
class Action:
    type: str
    provider: str | None = None
    max_wait_seconds: int | None = None
    overflow: Any = DEFAULT_OVERFLOW  # a provider id, None (no overflow) or DEFAULT_OVERFLOW
    number: str | None = None
    text_en: str = ""
    text_fr: str = ""
    language: str | None = None
    after_seconds: int | None = None  # callback: offered once the expected wait reaches this


@dataclass(frozen=True)
class Rule:
    id: str
    when: Conditions
    then: Action
    description: str = ""
    enabled: bool = True

    @property
    def terminal(self) -> bool:
        return self.then.type in TERMINAL

    @property
    def guaranteed(self) -> bool:
        """Matches on region, language and time alone, so coverage can count on it."""
        return self.enabled and self.terminal and not self.when.live and not self.when.per_call

    def live_queue(self) -> str | None:
        return (self.when.queue or self.then.provider) if self.when.live else None


@dataclass(frozen=True)
class RuleSet:
    timezone: str
    safe_route_provider: str
    languages: tuple[str, ...]
    providers: dict[str, Provider]
    regions: dict[str, Region]
    schedules: dict[str, Schedule]
    closures: tuple[Closure, ...]
    rules: tuple[Rule, ...]
    geography: dict[str, dict[str, str | None]] = field(default_factory=dict)
    calendar: HolidayCalendar = field(default_factory=HolidayCalendar)
    _by_region: dict[str | None, tuple[int, ...]] = field(default_factory=dict, repr=False,
                                                          compare=False)

    def rules_for_region(self, region: str | None) -> tuple[int, ...]:
        """Positions of the rules that can apply in `region` (computed once per region)."""
        found = self._by_region.get(region)
        if found is None:
            found = tuple(i for i, rule in enumerate(self.rules)
                          if rule.when.regions is None or region in rule.when.regions)
            self._by_region[region] = found
        return found


class _Reader:
    """Collects every problem instead of stopping at the first, so the admin sees them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def id_list(self, where: str, value: Any) -> frozenset[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "must be a list of names")
            return None
        return frozenset(value) if value else None

    def count(self, where: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(where, "must be a whole number >= 0")
            return None
        return value


def _conditions(r: _Reader, where: str, spec: Any) -> Conditions:
    if not isinstance(spec, dict):
        r.fail(where, "must be an object")
        return Conditions()
    for key in spec:
        if key not in CONDITION_KEYS:
            r.fail(f"{where}.{key}", f"unknown condition (use {', '.join(CONDITION_KEYS)})")
    state = spec.get("schedule_state", "open")
    if state not in ("open", "closed"):
        r.fail(f"{where}.schedule_state", "must be 'open' or 'closed'")
    day = spec.get("day")
    if day not in (None, "holiday", "regular"):
        r.fail(f"{where}.day", "must be 'holiday' or 'regular'")
    interpreter = spec.get("interpreter")
    if interpreter is not None and not isinstance(interpreter, bool):
        r.fail(f"{where}.interpreter", "must be true or false")
    return Conditions(
        regions=r.id_list(f"{where}.regions", spec.get("regions")),
        languages=r.id_list(f"{where}.languages", spec.get("languages")),
        needs=r.id_list(f"{where}.needs", spec.get("needs")),
        interpreter=interpreter if isinstance(interpreter, bool) else None,
        schedule=spec.get("schedule") or None, schedule_state=str(state), day=day,
        queue=spec.get("queue") or None,
        waiting_at_least=r.count(f"{where}.waiting_at_least", spec.get("waiting_at_least")),
        expected_wait_at_least=r.count(f"{where}.expected_wait_at_least",
                                       spec.get("expected_wait_at_least")),
        no_specialist=bool(spec.get("no_specialist", False)),
    )


def _action(r: _Reader, where: str, spec: Any) -> Action:
    if not isinstance(spec, dict) or spec.get("type") not in ACTIONS:
        r.fail(where, f"must be an object whose type is one of {', '.join(ACTIONS)}")
        return Action(type=MESSAGE)
    kind = spec["type"]
    if kind == ENQUEUE and not spec.get("provider"):
        r.fail(f"{where}.provider", "enqueue needs a provider")
    if kind == TRANSFER and not spec.get("number"):
        r.fail(f"{where}.number", "transfer needs a number")
    if kind == MESSAGE and not (spec.get("text_en") or spec.get("text_fr")):
        r.fail(where, "a message needs text_en or text_fr")
    after = r.count(f"{where}.after_seconds", spec.get("after_seconds"))
    if kind == CALLBACK and spec.get("after_seconds") is None:
        r.fail(f"{where}.after_seconds", "a callback needs after_seconds (the expected wait, "
               "in seconds, from which callers are offered a callback)")
    return Action(
        type=kind, provider=spec.get("provider"),
        max_wait_seconds=r.count(f"{where}.max_wait_seconds", spec.get("max_wait_seconds")),
        overflow=spec.get("overflow", DEFAULT_OVERFLOW),
        number=spec.get("number"), text_en=str(spec.get("text_en") or ""),
        text_fr=str(spec.get("text_fr") or ""), language=spec.get("language"),
        after_seconds=after if kind == CALLBACK else None,
    )


def _rules(r: _Reader, specs: Any) -> tuple[Rule, ...]:
    if not isinstance(specs, list):
        r.fail("rules", "must be a list")
        return ()
    rules = []
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("id"), str) or not spec["id"]:
            r.fail(f"rules[{index}]", "must be an object with an id")
            continue
        where = f"rule '{spec['id']}'"
        rules.append(Rule(
            id=spec["id"], description=str(spec.get("description") or ""),
            enabled=bool(spec.get("enabled", True)),
            when=_conditions(r, f"{where}.when", spec.get("when", {})),
            then=_action(r, f"{where}.then", spec.get("then")),
        ))
    return tuple(rules)


def _provider(r: _Reader, index: int, spec: Any) -> Provider | None:
    try:
        return Provider(
            id=str(spec["id"]), name=str(spec.get("name") or spec["id"]),
            city=str(spec.get("city") or ""), queue=str(spec.get("queue") or f"211-{spec['id']}"),
            languages=tuple(spec.get("languages") or ("en",)), overflow=spec.get("overflow") or None,
            max_wait_seconds=int(spec.get("max_wait_seconds") or 600),
            name_fr=str(spec.get("name_fr") or ""),
        )
    except (KeyError, TypeError, ValueError):
        r.fail(f"providers[{index}]", "needs an id, and max_wait_seconds must be a number")
        return None


def _region(r: _Reader, index: int, spec: Any) -> Region | None:
    try:
        return Region(id=str(spec["id"]), name_en=str(spec.get("name_en") or spec["id"]),
                      name_fr=str(spec.get("name_fr") or spec.get("name_en") or spec["id"]),
                      provider=str(spec.get("provider") or ""))
    except (KeyError, TypeError):
        r.fail(f"regions[{index}]", "needs an id")
        return None


def _schedules(r: _Reader, specs: Any) -> dict[str, Schedule]:
    schedules: dict[str, Schedule] = {}
    for name, spec in (specs or {}).items() if isinstance(specs, dict) else ():
        try:
            schedules[name] = parse_schedule(name, spec if isinstance(spec, dict) else {})
        except ScheduleError as exc:
            r.fail(f"schedule '{name}'", str(exc))
    if not isinstance(specs, dict | None):
        r.fail("schedules", "must map names to schedules")
    return schedules


def _closures(r: _Reader, specs: Any) -> tuple[Closure, ...]:
    closures = []
    for index, spec in enumerate(specs or []):
        try:
            closures.append(Closure(date.fromisoformat(str(spec["date"])),
                                    str(spec.get("name") or "closed"),
                                    frozenset(spec.get("regions") or ())))
        except (KeyError, TypeError, ValueError):
            r.fail(f"closures[{index}]", "needs a date like 2026-12-24")
    return tuple(closures)


def _by_id(items: list[Any]) -> dict[str, Any]:
    return {item.id: item for item in items if item is not None}


def parse_ruleset(doc: Any) -> RuleSet:
    """The typed rule set, or `RuleSetInvalid` naming every shape problem."""
    r = _Reader()
    if not isinstance(doc, dict):
        raise RuleSetInvalid(["the rule set must be a JSON object"])
    providers = _by_id([_provider(r, i, p) for i, p in enumerate(doc.get("providers") or [])])
    regions = _by_id([_region(r, i, g) for i, g in enumerate(doc.get("regions") or [])])
    closures = _closures(r, doc.get("closures"))
    geography = doc.get("geography") or {}
    if not isinstance(geography, dict) or not all(isinstance(v, dict) for v in geography.values()):
        r.fail("geography", "must map area_codes/exchanges/postal_prefixes/municipalities to objects")
        geography = {}
    rs = RuleSet(
        timezone=str(doc.get("timezone") or "America/Toronto"),
        safe_route_provider=str(doc.get("safe_route_provider") or ""),
        languages=tuple(doc.get("languages") or ("en", "fr")),
        providers=providers, regions=regions, schedules=_schedules(r, doc.get("schedules")),
        closures=closures, rules=_rules(r, doc.get("rules")), geography=geography,
        calendar=HolidayCalendar(closures),
    )
    if r.problems:
        raise RuleSetInvalid(r.problems)
    return rs
