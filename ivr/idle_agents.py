"""Specialists waiting for a caller, by provider: whom a warm consult can reach (#12).

A specialist with nobody to take waits in `/agent/idle` (a pause, then a look again). Each
look that finds nobody marks them waiting here, with the time; each look begins by taking
the mark off again (`looks_again`), so a specialist being given a caller is never also
offered to a consult. A consult from another region's specialist takes one (`take`) and
REST-redirects their leg into the caller's conference.

The two can race: the specialist's look and a consult's take at the same instant. Both
remove the mark with ZREM and only one removal succeeds; the consult reserves the
specialist *before* its removal, so a look that loses its own removal sees the
reservation and waits for the redirect instead of claiming a caller, and a consult that
loses drops its reservation. A mark older than two looks is a specialist who is gone (a
hang-up whose status callback never reached us): skipped and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.shared_store import SharedStore

RESERVED_TTL = 30  # seconds a reservation waits for its redirect (a lost one lapses)
INFO_TTL = 12 * 3600


def waiting_key(provider: str) -> str:
    return f"idle:{provider}"


def info_key(agent_sid: str) -> str:
    return f"idleagent:{agent_sid}"


def reserved_key(agent_sid: str) -> str:
    return f"consulting:{agent_sid}"


@dataclass(frozen=True)
class IdleAgent:
    agent_sid: str
    specialist_id: int
    provider: str


def mark_waiting(writes: SharedStore, agent: IdleAgent, at: float) -> None:
    """The specialist found nobody to take: reachable for a consult until their next look."""
    writes.set_json(info_key(agent.agent_sid), {"specialist_id": agent.specialist_id,
                                                "provider": agent.provider}, ttl=INFO_TTL)
    writes.zadd(waiting_key(agent.provider), agent.agent_sid, at)


def looks_again(store: SharedStore, provider: str, agent_sid: str) -> bool:
    """The specialist's next look begins: their mark comes off. False when a consult has
    taken them meanwhile: they are to wait for its redirect, not claim a caller."""
    if store.zrem(waiting_key(provider), agent_sid):
        return True
    return store.get_json(reserved_key(agent_sid)) is None


def signed_out(store: SharedStore, provider: str, agent_sid: str) -> None:
    store.zrem(waiting_key(provider), agent_sid)


def take(store: SharedStore, provider: str, caller_sid: str, at: float,
         stale_after: float) -> IdleAgent | None:
    """The longest-waiting specialist of the provider, reserved for a consult on this
    caller's call; None when nobody waits there."""
    key = waiting_key(provider)
    for agent_sid, looked_at in store.zrange(key):
        if looked_at < at - stale_after:
            store.zrem(key, agent_sid)
            continue
        info = store.get_json(info_key(agent_sid))
        if not isinstance(info, dict) or not isinstance(info.get("specialist_id"), int):
            store.zrem(key, agent_sid)
            continue
        store.set_json(reserved_key(agent_sid), caller_sid, ttl=RESERVED_TTL)
        if store.zrem(key, agent_sid):
            return IdleAgent(agent_sid, int(info["specialist_id"]), provider)
        store.delete(reserved_key(agent_sid))  # their own look took them out first
    return None


def release(store: SharedStore, agent_sid: str) -> None:
    """The consult's redirect arrived, or Twilio refused it: the reservation is done."""
    store.delete(reserved_key(agent_sid))
