"""Validation before publishing: a rule set that could leave a caller without a route is refused.

Errors (publishing refused): shape problems, unknown providers / regions / schedules /
languages / needs, duplicate ids, transfer numbers that are not valid phone numbers, overflow
cycles, and coverage holes (a region x language x time of the week, holidays included, with no
route). Warnings (publishing allowed): a guaranteed route to a provider that does not speak
the caller's language, an interpreter language the deployment does not know.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import phonenumbers

from config.ontario import Deployment
from routing.engine.coverage import check_coverage
from routing.engine.ruleset import (
    CALLBACK,
    DEFAULT_OVERFLOW,
    ENQUEUE,
    INTERPRETER,
    TRANSFER,
    Rule,
    RuleSet,
    RuleSetInvalid,
    parse_ruleset,
)

GEOGRAPHY_KEYS = ("area_codes", "exchanges", "postal_prefixes", "municipalities")
MAX_REPORTED_HOLES = 50
MAX_CALLBACK_AFTER = 4 * 3600  # past this no caller would ever be offered one: a typo


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    where: str | None = None


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Problems counted but not listed (coverage holes past MAX_REPORTED_HOLES): the count
    # shown is the true one, not the length of a shortened list.
    unlisted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.unlisted

    def error(self, code: str, message: str, where: str | None = None) -> None:
        self.errors.append(Problem(code, message, where))

    def warn(self, code: str, message: str, where: str | None = None) -> None:
        self.warnings.append(Problem(code, message, where))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "error_count": self.error_count, "unlisted_errors": self.unlisted,
                "errors": [asdict(p) for p in self.errors],
                "warnings": [asdict(p) for p in self.warnings]}


def valid_number(number: str | None) -> bool:
    try:
        parsed = phonenumbers.parse(number or "", "CA")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)


def check_duplicates(doc: dict[str, Any], report: Report) -> None:
    for section in ("providers", "regions", "rules"):
        items = doc.get(section) or []
        counts = Counter(item.get("id") for item in items if isinstance(item, dict))
        for item_id, count in counts.items():
            if count > 1:
                report.error("duplicate", f"{section}: id '{item_id}' is used {count} times", section)


def check_providers(rs: RuleSet, report: Report) -> None:
    if rs.safe_route_provider not in rs.providers:
        report.error("unknown_provider",
                     f"safe_route_provider '{rs.safe_route_provider}' is not a provider")
    for provider in rs.providers.values():
        if provider.overflow and provider.overflow not in rs.providers:
            report.error("unknown_provider", f"provider '{provider.id}' overflows to unknown "
                         f"provider '{provider.overflow}'", f"provider '{provider.id}'")
    for region in rs.regions.values():
        if region.provider and region.provider not in rs.providers:
            report.error("unknown_provider", f"region '{region.id}' names unknown provider "
                         f"'{region.provider}'", f"region '{region.id}'")


def check_rule_refs(rule: Rule, rs: RuleSet, dep: Deployment, report: Report) -> None:
    where, when, then = f"rule '{rule.id}'", rule.when, rule.then
    known_needs = {need.id for need in dep.needs} | {"other"}
    unknown = {
        "region": (when.regions or frozenset()) - set(rs.regions),
        "language": (when.languages or frozenset()) - set(rs.languages),
        "need": (when.needs or frozenset()) - known_needs,
        "schedule": {when.schedule} - set(rs.schedules) - {None},
        "queue provider": {when.queue} - set(rs.providers) - {None},
    }
    for kind, names in unknown.items():
        for name in sorted(str(n) for n in names):
            report.error(f"unknown_{kind.split()[0]}", f"{where} names unknown {kind} '{name}'", where)
    if when.live and rule.live_queue() is None:
        report.error("live_queue", f"{where} has a live queue condition but no queue: set "
                     "'queue' to the provider whose figures it reads", where)
    if then.type == ENQUEUE and then.provider not in rs.providers:
        report.error("unknown_provider", f"{where} enqueues at unknown provider '{then.provider}'",
                     where)
    if then.overflow is not DEFAULT_OVERFLOW and then.overflow and then.overflow not in rs.providers:
        report.error("unknown_provider", f"{where} overflows to unknown provider '{then.overflow}'",
                     where)
    if then.type == TRANSFER and not valid_number(then.number):
        report.error("invalid_number",
                     f"{where} transfers to '{then.number}', which is not a valid phone number", where)
    if then.type == CALLBACK and (then.after_seconds or 0) > MAX_CALLBACK_AFTER:
        report.error("callback_threshold", f"{where} offers a callback only after "
                     f"{then.after_seconds}s of expected wait: at most {MAX_CALLBACK_AFTER}", where)
    codes = {lang.code for lang in dep.interpreter_languages} | {"und"}
    if then.type == INTERPRETER and then.language and then.language not in codes:
        report.warn("unknown_interpreter_language",
                    f"{where} adds an interpreter for '{then.language}', not a known language", where)


def overflow_edges(rs: RuleSet) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {pid: set() for pid in rs.providers}
    for provider in rs.providers.values():
        if provider.overflow:
            edges[provider.id].add(provider.overflow)
    for rule in rs.rules:
        then = rule.then
        if (then.type == ENQUEUE and then.provider in edges and then.overflow
                and then.overflow is not DEFAULT_OVERFLOW):
            edges[str(then.provider)].add(str(then.overflow))
    return edges


def find_overflow_cycle(rs: RuleSet) -> list[str] | None:
    """The first overflow cycle found (a -> b -> a), by depth-first search."""
    edges = overflow_edges(rs)
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [node, nxt]
            if nxt in edges and nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state:
            cycle = visit(start, [start])
            if cycle:
                return cycle
    return None


def check_geography(rs: RuleSet, report: Report) -> None:
    for key, mapping in rs.geography.items():
        if key not in GEOGRAPHY_KEYS:
            report.error("geography", f"geography '{key}' is not one of {', '.join(GEOGRAPHY_KEYS)}")
            continue
        for place, region in mapping.items():
            if region is not None and region not in rs.regions:
                report.error("unknown_region",
                             f"geography {key} '{place}' names unknown region '{region}'")
    for closure in rs.closures:
        for region in sorted(closure.regions - set(rs.regions)):
            report.error("unknown_region",
                         f"closure {closure.day.isoformat()} names unknown region '{region}'")


def check_coverage_and_language(rs: RuleSet, report: Report) -> None:
    result = check_coverage(rs)
    for hole in result.holes[:MAX_REPORTED_HOLES]:
        report.error("coverage", hole.describe(), f"region {hole.region or '(unknown)'}")
    report.unlisted += max(0, len(result.holes) - MAX_REPORTED_HOLES)
    for m in result.language_mismatches:
        report.warn("language", f"rule '{m.rule}' sends {m.language} callers to '{m.provider}', "
                    f"which does not answer in {m.language}", f"rule '{m.rule}'")


def validate(doc: Any, dep: Deployment) -> Report:
    """Everything wrong with a rule-set document, each naming the exact case."""
    report = Report()
    try:
        rs = parse_ruleset(doc)
    except RuleSetInvalid as exc:
        for problem in exc.problems:
            report.error("shape", problem)
        return report
    check_duplicates(doc, report)
    check_providers(rs, report)
    for rule in rs.rules:
        check_rule_refs(rule, rs, dep, report)
    cycle = find_overflow_cycle(rs)
    if cycle:
        report.error("overflow_cycle", "overflow cycle: " + " -> ".join(cycle))
    check_geography(rs, report)
    if not rs.regions or not rs.languages:
        report.error("coverage", "the rule set needs at least one region and one language")
    check_coverage_and_language(rs, report)
    return report
