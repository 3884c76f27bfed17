"""The rules engine: (rule set, call context, time, live figures) -> decision with its trace.

A pure function: no database, no store, no clock, so the IVR, the admin's "test a call", the
CLI and the benchmark all run exactly the same code. Rules are tried in order; "message" and
"interpreter" rules add to the call and go on; the first enqueue or transfer rule that
matches decides. The trace says which rule matched and why each one above it did not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from routing.engine.decision import CallContext, Decision
from routing.engine.figures import NO_FIGURES, Figures, expected_wait_for_new_caller
from routing.engine.ruleset import (
    CALLBACK,
    DEFAULT_OVERFLOW,
    ENQUEUE,
    INTERPRETER,
    MESSAGE,
    TRANSFER,
    Conditions,
    Rule,
    RuleSet,
)
from routing.engine.schedule import format_minute, local_time, week_minute

GROUP_SKIPPED = 10  # more consecutive rules for other regions than this: one trace step


@dataclass(frozen=True)
class Moment:
    """The call's time as the rules see it: local minute of the week and holiday status."""

    week_minute: int
    holiday: str | None
    label: str


def moment_of(rs: RuleSet, at: datetime, region: str | None) -> Moment:
    local = local_time(at, rs.timezone)
    holiday = rs.calendar.holiday(local.date(), region)
    minute = week_minute(local)
    label = f"{local.date().isoformat()} {format_minute(minute)} {local.tzname()}"
    return Moment(minute, holiday, label)


def _names(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


def call_mismatch(when: Conditions, ctx: CallContext) -> str | None:
    """Why the call itself (region, language, need, interpreter) does not fit, or None."""
    if when.regions is not None and ctx.region not in when.regions:
        return f"region {ctx.region or 'unknown'} is not in [{_names(when.regions)}]"
    if when.languages is not None and ctx.language not in when.languages:
        return f"language {ctx.language} is not in [{_names(when.languages)}]"
    if when.needs is not None and (ctx.need or "other") not in when.needs:
        return f"need {ctx.need or 'other'} is not in [{_names(when.needs)}]"
    if when.interpreter is not None and bool(ctx.interpreter) != when.interpreter:
        return "the caller has an interpreter" if ctx.interpreter else "the caller has no interpreter"
    return None


def time_mismatch(when: Conditions, rs: RuleSet, moment: Moment) -> str | None:
    """Why the time (day type, schedule) does not fit, or None."""
    if when.day == "holiday" and not moment.holiday:
        return "not a holiday or closure day"
    if when.day == "regular" and moment.holiday:
        return f"{moment.holiday}"
    if when.schedule is None:
        return None
    schedule = rs.schedules.get(when.schedule)
    if schedule is None:
        return f"unknown schedule {when.schedule}"
    is_open = schedule.is_open(moment.week_minute, moment.holiday is not None)
    if is_open != (when.schedule_state == "open"):
        reason = f" ({moment.holiday})" if moment.holiday and not is_open else ""
        return f"{when.schedule} is {'open' if is_open else 'closed'}{reason}"
    return None


def live_mismatch(rule: Rule, figures: dict[str, Figures]) -> str | None:
    """Why the live queue figures do not fit, or None."""
    when = rule.when
    if not when.live:
        return None
    queue = rule.live_queue()
    if queue is None:
        return "live condition names no queue"
    now = figures.get(queue, NO_FIGURES)
    if when.waiting_at_least is not None and now.waiting < when.waiting_at_least:
        return f"{queue}: {now.waiting} waiting, fewer than {when.waiting_at_least}"
    if when.expected_wait_at_least is not None:
        expected = expected_wait_for_new_caller(now)
        if expected < when.expected_wait_at_least:
            return f"{queue}: expected wait {expected:.0f}s, under {when.expected_wait_at_least}s"
    if when.no_specialist and now.specialists:
        return f"{queue}: {now.specialists} specialist(s) signed in"
    return None


def rule_mismatch(rule: Rule, rs: RuleSet, ctx: CallContext, moment: Moment,
                  figures: dict[str, Figures]) -> str | None:
    if not rule.enabled:
        return "disabled"
    if rule.then.type == ENQUEUE and rule.then.provider not in rs.providers:
        return f"unknown provider {rule.then.provider}"
    return (call_mismatch(rule.when, ctx) or time_mismatch(rule.when, rs, moment)
            or live_mismatch(rule, figures))


def _enqueue(rs: RuleSet, rule: Rule, ctx: CallContext, extras: dict[str, Any]) -> Decision:
    provider = rs.providers[str(rule.then.provider)]
    overflow = provider.overflow if rule.then.overflow is DEFAULT_OVERFLOW else rule.then.overflow
    max_wait = rule.then.max_wait_seconds or provider.max_wait_seconds
    return Decision(
        action=ENQUEUE, provider=provider.id, queue=provider.queue,
        max_wait_seconds=None if ctx.overflowed else max_wait,
        overflow_provider=None if ctx.overflowed else overflow, **extras,
    )


def _decided(rs: RuleSet, rule: Rule, ctx: CallContext, extras: dict[str, Any]) -> Decision:
    if rule.then.type == TRANSFER:
        return Decision(action=TRANSFER, transfer_number=rule.then.number, **extras)
    return _enqueue(rs, rule, ctx, extras)


def _outcome(rule: Rule) -> str:
    then = rule.then
    if then.type == ENQUEUE:
        return f"enqueue at {then.provider}"
    if then.type == TRANSFER:
        return f"transfer to {then.number}"
    if then.type == MESSAGE:
        return "play a message, go on"
    if then.type == CALLBACK:
        return f"offer a callback from an expected wait of {then.after_seconds}s, go on"
    return f"add an interpreter ({then.language or 'caller language'}), go on"


def evaluate(rs: RuleSet, ctx: CallContext, at: datetime, figures: dict[str, Figures],
             version: int | None = None) -> Decision:
    """Decide where this call goes; the trace ends with the rule that decided."""
    moment = moment_of(rs, at, ctx.region)
    trace: list[dict[str, Any]] = [{
        "rule": "(rule set)", "matched": True, "version": version,
        "why": f"{moment.label}, {moment.holiday or 'regular day'}",
    }]
    messages: list[dict[str, str]] = []
    interpreter = ctx.interpreter
    callback: int | None = None
    position = 0
    for index in rs.rules_for_region(ctx.region):
        skip_other_regions(rs, ctx, position, index, trace)
        position = index + 1
        rule = rs.rules[index]
        why_not = rule_mismatch(rule, rs, ctx, moment, figures)
        if why_not:
            trace.append({"rule": rule.id, "matched": False, "why": why_not})
            continue
        trace.append({"rule": rule.id, "matched": True, "why": _outcome(rule)})
        if rule.then.type == MESSAGE:
            messages.append({"en": rule.then.text_en or rule.then.text_fr,
                             "fr": rule.then.text_fr or rule.then.text_en})
        elif rule.then.type == INTERPRETER:
            interpreter = interpreter or rule.then.language or "und"
        elif rule.then.type == CALLBACK:
            callback = lower_threshold(callback, rule.then.after_seconds)
        else:
            extras = {"messages": tuple(messages), "interpreter": interpreter,
                      "callback_after_seconds": callback, "trace": tuple(trace)}
            return _decided(rs, rule, ctx, extras)
    skip_other_regions(rs, ctx, position, len(rs.rules), trace)
    decision = safe_route_decision(rs, ctx, trace, messages, interpreter)
    return replace(decision, callback_after_seconds=callback)


def lower_threshold(current: int | None, new: int | None) -> int | None:
    """The callback threshold with one more matching rule: the lowest wins, so a rule an
    overlay puts first (disaster mode) lowers the threshold and never raises it."""
    if new is None:
        return current
    return new if current is None else min(current, new)


def skip_other_regions(rs: RuleSet, ctx: CallContext, start: int, stop: int,
                       trace: list[dict[str, Any]]) -> None:
    """Trace rules start..stop-1, all for other regions: one by one if few, else as one step.

    Large rule sets are mostly per-region rules; listing hundreds of "region X is not in [Y]"
    steps on every call record would bury the steps that matter.
    """
    if stop - start > GROUP_SKIPPED:
        first, last = rs.rules[start].id, rs.rules[stop - 1].id
        trace.append({"rule": f"{first} .. {last}", "matched": False, "skipped": stop - start,
                      "why": f"{stop - start} rules for other regions than {ctx.region or 'unknown'}"})
        return
    for rule in rs.rules[start:stop]:
        trace.append({"rule": rule.id, "matched": False, "why": call_mismatch(rule.when, ctx)})


def safe_route_decision(rs: RuleSet, ctx: CallContext, trace: list[dict[str, Any]],
                        messages: list[dict[str, str]], interpreter: str | None) -> Decision:
    """No rule decided (validation forbids it, but never leave a caller without a route)."""
    provider_id = rs.safe_route_provider if rs.safe_route_provider in rs.providers else next(
        iter(rs.providers), rs.safe_route_provider)
    provider = rs.providers.get(provider_id)
    trace.append({"rule": "(safe route)", "matched": True,
                  "why": f"no rule decided: safe-route provider {provider_id}"})
    return Decision(action=ENQUEUE, provider=provider_id, queue=provider.queue if provider else None,
                    messages=tuple(messages), interpreter=interpreter, trace=tuple(trace))
