"""Where a call goes: the types the IVR and the rules engine share, and the default decision.

`decide` is a pure function of the call's context, the time and the live queue figures, so it
can be tested, explained to an admin and benchmarked without a server. The trace says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config.ontario import Deployment
from routing.queue_figures import Figures

ENQUEUE = "enqueue"
TRANSFER = "transfer"


@dataclass(frozen=True)
class CallContext:
    region: str | None
    language: str = "en"
    interpreter: str | None = None
    need: str | None = None
    area_code: str | None = None
    overflowed: bool = False


@dataclass(frozen=True)
class Decision:
    action: str  # ENQUEUE or TRANSFER
    provider: str | None = None
    queue: str | None = None
    max_wait_seconds: int | None = None  # past this the caller leaves for `overflow_provider`
    overflow_provider: str | None = None
    transfer_number: str | None = None
    messages: tuple[dict[str, str], ...] = ()  # {"en": ..., "fr": ...} played before routing
    interpreter: str | None = None
    trace: tuple[dict[str, Any], ...] = field(default=())


def enqueue_at(dep: Deployment, provider_id: str, ctx: CallContext, trace: list[dict[str, Any]]) -> Decision:
    provider = dep.providers[provider_id]
    overflow = None if ctx.overflowed else provider.overflow
    return Decision(
        action=ENQUEUE, provider=provider.id, queue=provider.queue,
        max_wait_seconds=None if ctx.overflowed else provider.max_wait_seconds,
        overflow_provider=overflow, interpreter=ctx.interpreter, trace=tuple(trace),
    )


def decide(ctx: CallContext, at: datetime, figures: dict[str, Figures], dep: Deployment) -> Decision:
    """The default Ontario routing: the region's provider, in a language it speaks."""
    del at, figures  # the default routing ignores time and load; the rules engine uses them
    trace: list[dict[str, Any]] = []
    region = ctx.region if ctx.region in dep.regions else None
    if region is None:
        trace.append({"rule": "region-provider", "matched": False, "why": "region unknown"})
        trace.append({"rule": "safe-route", "matched": True, "why": "no region: safe-route provider"})
        return enqueue_at(dep, dep.safe_route_provider, ctx, trace)
    provider = dep.provider_for_region(region)
    if ctx.language in provider.languages:
        trace.append({"rule": "region-provider", "matched": True,
                      "why": f"region {region} -> {provider.id}, speaks {ctx.language}"})
        return enqueue_at(dep, provider.id, ctx, trace)
    trace.append({"rule": "region-provider", "matched": False,
                  "why": f"{provider.id} does not answer in {ctx.language}"})
    capable = next(p for p in dep.providers.values() if ctx.language in p.languages)
    trace.append({"rule": "language-capable", "matched": True,
                  "why": f"{capable.id} answers in {ctx.language}"})
    return enqueue_at(dep, capable.id, ctx, trace)
