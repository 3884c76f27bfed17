"""Test a call before publishing: caller number, time, language, need -> decision and trace.

Used by `flask routing explain`, the admin page and `POST /api/admin/routing/explain`. It runs
the same evaluator the IVR runs, on the draft (default), the published set or any version.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.ontario import Deployment
from routing.engine.decision import CallContext, Decision
from routing.engine.disaster import OFF, DisasterMode, disaster_overlay
from routing.engine.evaluate import evaluate
from routing.engine.figures import Figures
from routing.engine.location import region_from_caller_id
from routing.engine.overlay import overlay
from routing.engine.ruleset import RuleSet, parse_ruleset


class ExplainError(ValueError):
    """The request cannot be explained (bad time, unknown region or need, unreadable rule set).

    `field` names the input at fault, so a form can show the reason beside it and the API can
    answer `{"errors": {field: reason}}`."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _unknown(field: str, value: str, known: list[str], kind: str) -> ExplainError:
    listed = ", ".join(known) if len(known) <= 12 else ", ".join(known[:12]) + ", ..."
    return ExplainError(f"'{value}' is not {kind} of this rule set (one of: {listed})", field)


def check_call(rs: RuleSet, dep: Deployment, *, language: str, need: str | None,
               region: str | None, interpreter: str | None) -> None:
    """Refuse a test call the IVR could never see, naming the field.

    Without it a typo such as region "Sudbury" matched no regional rule and was answered by
    the after-hours catch-all at two on a Tuesday afternoon, which looks like a routing bug."""
    if region and region not in rs.regions:
        raise _unknown("region", region, sorted(rs.regions), "a region id")
    if language not in rs.languages:
        raise _unknown("language", language, list(rs.languages), "a language")
    needs = [n.id for n in dep.needs] + ["other"]
    if need and need not in needs:
        raise _unknown("need", need, needs, "a need")
    codes = [lang.code for lang in dep.interpreter_languages] + ["und"]
    if interpreter and interpreter not in codes:
        raise _unknown("interpreter", interpreter, codes, "an interpreter language code")


def parse_at(value: str | None, timezone: str, default: datetime) -> datetime:
    """ISO time; without an offset it is read in the deployment's time zone (Toronto)."""
    if not value:
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ExplainError(f"'{value}' is not a time like 2026-12-25T03:00", "at") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))


def decision_dict(decision: Decision) -> dict[str, Any]:
    data = asdict(decision)
    data["messages"] = list(decision.messages)
    data["trace"] = list(decision.trace)
    return data


def explain_call(doc: dict[str, Any], dep: Deployment, *, caller: str | None, at: datetime,
                 language: str, need: str | None, region: str | None = None,
                 interpreter: str | None = None, figures: dict[str, Figures] | None = None,
                 version: int | None = None, label: str = "",
                 disaster: DisasterMode = OFF) -> dict[str, Any]:
    """`disaster`: the mode to test under (on: its overlay, as every call is routed then)."""
    rs = disaster_overlay(parse_ruleset(doc), disaster)
    check_call(rs, dep, language=language, need=need, region=region, interpreter=interpreter)
    live_dep = overlay(dep, rs)
    guess = region_from_caller_id(caller, live_dep) if caller else None
    chosen = region or (guess.region if guess else None)
    source = "given" if region else ("caller_id" if chosen else "unknown")
    ctx = CallContext(region=chosen, language=language, interpreter=interpreter, need=need,
                      area_code=guess.area_code if guess else None)
    decision = evaluate(rs, ctx, at, figures or {}, version)
    matched = next((step["rule"] for step in reversed(decision.trace) if step["matched"]), None)
    return {
        "rules": label, "at": at.isoformat(),
        "call": {"from": caller, "region": chosen, "region_source": source,
                 "candidate_regions": guess.candidates if guess else [], "language": language,
                 "need": need, "interpreter": interpreter},
        "matched_rule": matched, "decision": decision_dict(decision),
        "disaster_mode": {"on": disaster.on, "event": disaster.event or None},
    }
