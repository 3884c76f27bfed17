"""Disaster mode as the rules see it: a pure overlay on the published rule set, and where a
pooled overflow goes.

While an admin has disaster mode on, every call is routed by `disaster_overlay(published,
mode)` instead of the published set itself: every enqueue (rules and providers) waits longer
before it overflows (`MAX_WAIT_FACTOR`), and overflows to the pool (`POOLED`: whichever
provider has capacity now, `pooled_target`) instead of one fixed provider. Callbacks are
offered from a lower expected wait (`CALLBACK_AFTER_SECONDS`, a callback rule put first).
The overlay never writes anything: turning the mode off is routing by the published set
again, exactly as it was (the overlay of an off mode is the published set itself).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from config.ontario import Provider
from routing.engine.figures import Figures, expected_wait_for_new_caller
from routing.engine.ruleset import (
    CALLBACK,
    DEFAULT_OVERFLOW,
    ENQUEUE,
    Action,
    Conditions,
    Rule,
    RuleSet,
)

POOLED = "*"  # an overflow target meaning "any provider with capacity now"
MAX_WAIT_FACTOR = 2  # queue limits raised: each max wait before overflow, doubled
CALLBACK_AFTER_SECONDS = 120  # callbacks offered from this expected wait (the callbacks rule)


@dataclass(frozen=True)
class DisasterMode:
    """What the admin set when turning it on; `on=False` is the ordinary line."""

    on: bool = False
    event: str = ""
    bulletin_en: str = ""
    bulletin_fr: str = ""
    info_en: str = ""
    info_fr: str = ""
    version: int = 0  # the stored row's id: a new one for every change
    changed_at: datetime | None = None
    changed_by: str = ""

    def bulletin(self, language: str) -> str:
        return self.bulletin_fr if language == "fr" else self.bulletin_en

    def info(self, language: str) -> str:
        return self.info_fr if language == "fr" else self.info_en


OFF = DisasterMode()


def _raised(seconds: int | None) -> int | None:
    return None if seconds is None else seconds * MAX_WAIT_FACTOR


def _pooled_rule(rule: Rule) -> Rule:
    if rule.then.type != ENQUEUE:
        return rule
    then = replace(rule.then, max_wait_seconds=_raised(rule.then.max_wait_seconds),
                   overflow=POOLED)
    return replace(rule, then=then)


def _pooled_provider(provider: Provider) -> Provider:
    return replace(provider, max_wait_seconds=provider.max_wait_seconds * MAX_WAIT_FACTOR,
                   overflow=POOLED)


def _callback_rules() -> tuple[Rule, ...]:
    """The rule that offers callbacks from `CALLBACK_AFTER_SECONDS` on every call, put first:
    the lowest matching threshold wins, so it lowers the published ones and never raises them."""
    return (Rule(id="disaster-callback", when=Conditions(),
                 then=Action(type=CALLBACK, after_seconds=CALLBACK_AFTER_SECONDS),
                 description="Disaster mode: callbacks offered from a lower expected wait."),)


def disaster_overlay(rs: RuleSet, mode: DisasterMode) -> RuleSet:
    """The rule set calls are routed by while `mode` is on; `rs` itself when it is off."""
    if not mode.on:
        return rs
    return replace(
        rs,
        providers={pid: _pooled_provider(p) for pid, p in rs.providers.items()},
        rules=(*_callback_rules(), *(_pooled_rule(rule) for rule in rs.rules)),
        _by_region={},  # positions change: never share the published set's index
    )


def pooled_target(rs: RuleSet, left: str | None, language: str,
                  figures: dict[str, Figures]) -> str | None:
    """The provider a caller past their max wait goes to: of those speaking the caller's
    language with a specialist signed in (other than the queue they leave), the one a new
    caller would wait least at (then fewest waiting, then by id, so every worker agrees).
    None when no queue has capacity: the provider's own published overflow takes over."""
    candidates = []
    for pid, provider in rs.providers.items():
        now = figures.get(pid)
        if pid == left or now is None or not now.specialists:
            continue
        if language not in provider.languages:
            continue
        candidates.append((expected_wait_for_new_caller(now), now.waiting, pid))
    return min(candidates)[2] if candidates else None


def published_overflow(rs: RuleSet, provider_id: str | None) -> str | None:
    """Where the published set sends an overflow from `provider_id` (its provider's own)."""
    provider = rs.providers.get(provider_id or "")
    if provider is None or provider.overflow in (None, POOLED, DEFAULT_OVERFLOW):
        return None
    return provider.overflow
