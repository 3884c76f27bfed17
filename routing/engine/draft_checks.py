"""The publish-time checks, asked about one edited item so the form can show them by its fields.

A form save is refused only for problems in what the admin just edited (a transfer number
that is not a phone number, an enqueue without a provider, an overflow loop through this
provider); problems elsewhere in the draft, and coverage holes the edit may open, do not stop
the save: they are in the draft check shown after it, and stop publishing. The checks are
`routing.engine.ruleset` and `routing.engine.validation` themselves, so a form and publishing never disagree.
"""

from __future__ import annotations

from typing import Any

from config.ontario import Deployment
from routing.engine.ruleset import RuleSetInvalid, parse_ruleset
from routing.engine.validation import Report, check_rule_refs, find_overflow_cycle

FieldProblem = tuple[str | None, str]  # (form field, or None for the whole form; message)

# check_rule_refs problem codes -> the rule form's field that fixes them
REF_FIELDS = {
    "invalid_number": "number", "live_queue": "queue", "unknown_region": "regions",
    "unknown_language": "languages", "unknown_need": "needs", "unknown_schedule": "schedule",
    "unknown_queue": "queue", "callback_threshold": "after_seconds",
}
CONTEXT_SECTIONS = ("providers", "regions", "schedules", "languages", "safe_route_provider")


def _context(doc: dict[str, Any], rules: list[Any]) -> dict[str, Any]:
    """The parts of the document a rule refers to, so a broken closure list or geography
    elsewhere in the draft does not hide this rule's own problems."""
    return {**{key: doc[key] for key in CONTEXT_SECTIONS if key in doc}, "rules": rules}


def _shape_field(path: str, message: str) -> str | None:
    """'then.number' -> 'number'; a bare 'then' is the message text or the action type."""
    if path in ("then", ""):
        return "text_en" if "message" in message else "action"
    return path.split(".", 1)[1] if "." in path else None


def _shape_problems(problems: list[str], rule_id: str) -> list[FieldProblem]:
    prefix = f"rule '{rule_id}'"
    found: list[FieldProblem] = []
    for problem in problems:
        if problem.startswith(prefix):
            where, _, message = problem[len(prefix):].lstrip(".").partition(": ")
            found.append((_shape_field(where, message), message))
    return found


def rule_problems(doc: dict[str, Any], rule: dict[str, Any], dep: Deployment) -> list[FieldProblem]:
    """Errors publishing would report for this rule, each with the form field that fixes it."""
    try:
        rs = parse_ruleset(_context(doc, [rule]))
    except RuleSetInvalid as exc:
        return _shape_problems(exc.problems, str(rule.get("id")))
    report = Report()
    check_rule_refs(rs.rules[0], rs, dep, report)
    return [(_ref_field(p.code, p.message), p.message) for p in report.errors]


def _ref_field(code: str, message: str) -> str | None:
    if code == "unknown_provider":
        return "overflow" if "overflows" in message else "provider"
    return REF_FIELDS.get(code)


def overflow_cycle_through(doc: dict[str, Any], provider_id: str) -> str | None:
    """'overflow cycle: a -> b -> a' when the document's overflow chain loops through the
    provider, else None (a loop elsewhere, or a draft too broken to read, is left to the report)."""
    try:
        rs = parse_ruleset(doc)
    except RuleSetInvalid:
        return None
    cycle = find_overflow_cycle(rs)
    if cycle and provider_id in cycle:
        return "overflow cycle: " + " -> ".join(cycle)
    return None
