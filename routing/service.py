"""Routing as the IVR sees it: one call in, one decision out, from the published rule set.

`route(ctx)` evaluates the published rule set (cached per worker, reloaded when an admin
publishes) with the clock and the live queue figures the rules read. The decision carries
its trace, which the IVR stores on the call record. A call already in a queue keeps the
decision it got; publishing changes the next call.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context

from config.breaker import DependencyDown
from config.clock import now
from config.extensions import store
from config.ontario import Deployment, Provider, data_files
from routing.engine.decision import CallContext, Decision
from routing.engine.disaster import DisasterMode, disaster_overlay
from routing.engine.evaluate import evaluate
from routing.engine.figures import NO_FIGURES, Figures
from routing.store.disaster import current_mode, held_mode
from routing.store.published import Published, compile_published, current_published
from routing.store.queue_figures import QueueFigures
from routing.store.versions import REQUEST_KEY

CACHE_KEY = "rule_sets"
DISASTER_KEY = "disaster_mode"  # app.extensions: the worker's disaster mode cache
EFFECTIVE_KEY = "effective_rules"  # app.extensions: the overlaid set, per (published, mode)
MODE_REQUEST_KEY = "routing_disaster_mode"


def published() -> Published:
    """The published rule set for this worker (seeding the default on first use).

    Within one request the answer is kept in `g`: a webhook asks several times (route, live
    figures, deployment), and each ask would read the shared version counter again.
    """
    if has_request_context() and REQUEST_KEY in g:
        return g.get(REQUEST_KEY)  # type: ignore[no-any-return]
    # The main engine: the first load on a fresh install also seeds (a write and a commit),
    # which must not fail for being slow; once loaded, a dead database is not waited on again
    # before the counter moves, and the webhook's budget bounds the call meanwhile.
    current = current_published(current_app.extensions[CACHE_KEY], store(),
                                current_app.extensions["db_sessionmaker"], data_files(), now())
    if has_request_context():
        g.setdefault(REQUEST_KEY, current)
    return current


def disaster_mode() -> DisasterMode:
    """Disaster mode as this worker knows it (read once per request; the last one read
    while the store or database is away, off on a worker that never read it)."""
    if has_request_context() and MODE_REQUEST_KEY in g:
        return g.get(MODE_REQUEST_KEY)  # type: ignore[no-any-return]
    mode = current_mode(current_app.extensions[DISASTER_KEY], store(),
                        current_app.extensions["webhook_sessionmaker"])
    if has_request_context():
        g.setdefault(MODE_REQUEST_KEY, mode)
    return mode


def held_disaster_mode() -> DisasterMode:
    """The mode this worker last read, asking nothing (for fallbacks, which must not wait)."""
    return held_mode(current_app.extensions[DISASTER_KEY])


class EffectiveRules:
    """The published set with the disaster overlay, compiled once per published version and
    mode (not on every call); the published set itself while the mode is off."""

    def __init__(self) -> None:
        # (the published set it was made from, the mode's version, the overlaid set)
        self._last: tuple[Published, int, Published] | None = None

    def of(self, current: Published, mode: DisasterMode) -> Published:
        if not mode.on:
            return current
        last = self._last
        if last is not None and last[0] is current and last[1] == mode.version:
            return last[2]
        overlaid = disaster_overlay(current.ruleset, mode)
        effective = compile_published(current.number, overlaid, data_files())
        self._last = (current, mode.version, effective)
        return effective


def effective() -> Published:
    """What calls are routed by now: the published set, overlaid while disaster mode is on."""
    return current_app.extensions[EFFECTIVE_KEY].of(published(), disaster_mode())  # type: ignore[no-any-return]


def live_figures(providers: frozenset[str] | None = None) -> dict[str, Figures]:
    """Live figures for the given providers (default: every provider the rules read)."""
    wanted = effective().live_queues if providers is None else providers
    figures = QueueFigures(store())
    at = now().timestamp()
    try:
        return figures.snapshots(wanted, at)  # one round trip for them all
    except DependencyDown:  # no live figures: rules that read them see empty queues
        return dict.fromkeys(wanted, NO_FIGURES)


def route(ctx: CallContext) -> Decision:
    """Decide where this call goes now. Never raises for a well-formed context."""
    current = effective()
    return evaluate(current.ruleset, ctx, now(), live_figures(current.live_queues), current.number)


class PublishedDeployment:
    """The live deployment (`app.extensions["deployment"]`, read via
    `config.extensions.deployment()`): the published set's providers, regions, timezone and
    geography edits over the data files, as of the version counter this request saw."""

    def current(self) -> Deployment:
        return published().deployment  # disaster mode changes no region or provider name


def provider(provider_id: str | None) -> Provider:
    """A provider by id from the published set; unknown ids get the safe-route provider.

    A call keeps the provider it was given even if a newer version drops it: the data files'
    deployment still knows the built-in providers.
    """
    dep = effective().deployment
    if provider_id in dep.providers:
        return dep.providers[str(provider_id)]
    builtin = data_files()
    if provider_id in builtin.providers:
        return builtin.providers[str(provider_id)]
    return dep.providers.get(dep.safe_route_provider) or builtin.providers[builtin.safe_route_provider]
