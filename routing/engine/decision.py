"""Where a call goes: the types the IVR and the rules engine share.

`routing.engine.evaluate.evaluate` is the pure function from a call's context, the time and the live
queue figures to a `Decision`, so it can be tested, explained to an admin and benchmarked
without a server. The decision's trace says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    # Offer "keep your place and be called back" once the expected wait on hold reaches
    # this many seconds (the lowest of the matching callback rules); None: never offered.
    callback_after_seconds: int | None = None
    trace: tuple[dict[str, Any], ...] = field(default=())
