"""What every Twilio webhook shares: the signature check, TwiML out, and no 500s ever.

A view returns a `VoiceResponse`; any exception becomes the view's fallback TwiML (by default
the safe route to a person), logged without the caller's number.

The budget (`WEBHOOK_BUDGET_SECONDS`, a few seconds, well inside Twilio's 15) counts from
when the request reached us, queue included (`config.deadline.request_start`: the
`X-Request-Start` stamp our gunicorn worker or a proxy sets). Load shedding: a request that
already waited most of its budget in the queue (less than `SHED_BELOW` of it left) gets its
fallback at once, without running the view, which is what keeps Twilio's wait bounded when
more calls arrive than the workers can serve; the view would only have been abandoned.
Webhooks whose view records what happened whatever is answered (status callbacks, the
bridge: `shed=False`) still run it, in the background, after the answer.

A view not done by the deadline is left to finish on its own thread and the caller gets the
fallback now, unless the view has already committed to its answer (`config.deadline`): then
its answer stands, given a short grace. An abandoned view is refused its commit, so it
never records a route the caller was not given.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as BudgetSpent
from typing import Any

from flask import Response, copy_current_request_context, g, request
from prometheus_client import Histogram
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from config import database, deadline
from config.breaker import DependencyDown
from config.deadline import Abandoned, Ticket
from config.durable import is_unavailable
from config.extensions import settings
from ivr import prompts
from ivr.metrics import DEGRADED_ANSWERS, WEBHOOK_FALLBACKS, WEBHOOK_SECONDS
from ivr.security import signature_is_valid, twilio_signed
from ivr.twiml_text import render

log = logging.getLogger(__name__)

MAX_ATTEMPT = 10
# Shed a request left with less than this share of its budget after queueing.
SHED_BELOW = 0.25


def twiml(resp: VoiceResponse) -> Response:
    """The answer: the verbs written as text directly (`ivr.twiml_text`, what `str()` gives)."""
    return Response(render(resp), mimetype="text/xml")


def form(name: str) -> str:
    """A form parameter as stripped text; missing or odd values become ''. NUL is dropped:
    Twilio never sends it, and PostgreSQL's text refuses it (a record would never be kept)."""
    values = request.form
    # not .get(): a MultiDict answers a missing name by raising (and catching) an HTTP error
    value = values[name] if name in values else ""  # noqa: SIM401
    return value.replace("\x00", "").strip()[:500] if isinstance(value, str) else ""


def form_float(name: str) -> float | None:
    try:
        value = float(form(name))
    except ValueError:
        return None
    return value if value == value and 0 <= value < 10**7 else None  # rejects NaN, negatives


def url_language() -> str:
    """The caller's language as this request's URL carries it (our TwiML put it there), for a
    fallback that answers from the request alone; English when it carries none we speak."""
    return prompts.spoken(request.args.get("l"))


def attempt_arg() -> int:
    """Which try at a menu this is (from the action URL); garbage counts as the first."""
    raw = request.args.get("attempt", "0")
    return min(int(raw), MAX_ATTEMPT) if raw.isdigit() else 0


def webhook(fallback: Callable[[], VoiceResponse],
            shed: bool = True) -> Callable[[Callable[..., VoiceResponse]], Any]:
    """Signed-webhook decorator: answer TwiML, and `fallback()` TwiML if the view fails.

    `shed=False`: the view records what happened whatever the caller is answered, so it
    runs even for a request that queued past its budget (after the fallback is answered).
    """

    def decorate(view: Callable[..., VoiceResponse]) -> Callable[..., Response]:
        def answer(*args: Any, **kwargs: Any) -> tuple[Response, set[str]]:
            try:
                resp = view(*args, **kwargs)
                database.commit_if_used()
                _after_answer()
                return twiml(resp), g.pop("degraded", set())
            except Exception as err:
                causes = g.pop("degraded", set())
                if isinstance(err, Abandoned):
                    causes.add("budget")  # the fallback is (being) answered: act on nothing
                elif isinstance(err, DependencyDown) or is_unavailable(err):
                    log.warning("webhook %s: %s; answering the fallback route", request.path, err)
                    causes.add("redis" if isinstance(err, DependencyDown) else "database")
                else:
                    log.exception("webhook %s failed; answering the fallback route", request.path)
                    causes.add("error")
                WEBHOOK_FALLBACKS.labels(request.endpoint or "unknown").inc()
                _rollback()
                _undo()
                g.pop("after_answer", None)
                return twiml(fallback()), causes

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            with _latency(request.endpoint or "unknown").time():
                budget = settings().webhook_budget_seconds
                if budget <= 0:
                    resp, causes = answer(*args, **kwargs)
                else:
                    ticket = ticket_for(budget)
                    if ticket.remaining() < budget * SHED_BELOW:
                        resp, causes = _shed(ticket, not shed, answer, fallback, *args, **kwargs)
                    else:
                        resp, causes = _within(ticket, not shed, answer, fallback, *args, **kwargs)
                for cause in causes:
                    DEGRADED_ANSWERS.labels(cause).inc()
                return resp

        return twilio_signed(wrapper)

    return decorate


def ticket_for(budget: float) -> Ticket:
    """This request's deadline: `budget` seconds after it reached us (queue included)."""
    wall = time.time()
    queued = wall - deadline.request_start(request.headers, wall)
    return Ticket(time.monotonic() - queued + budget)


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """This process's pool for webhook views (made after a fork, never inherited)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=64, thread_name_prefix="webhook"))
    return _pool[1]


def _run(ticket: Ticket, always: bool, answer: Callable[..., tuple[Response, set[str]]],
         *args: Any, **kwargs: Any) -> tuple[Response, set[str]]:
    """The view on its own thread, under its ticket (what bounds its waits below). A view
    given up on before it even started (it waited for a thread) is not run, unless it
    records what happened (`always`)."""
    if ticket.abandoned and not always:
        return twiml(VoiceResponse()), set()  # nobody reads it: the fallback was answered
    with deadline.bound(ticket):
        return answer(*args, **kwargs)


def _submit(ticket: Ticket, always: bool, answer: Callable[..., tuple[Response, set[str]]],
            *args: Any, **kwargs: Any) -> Any:
    request.form  # noqa: B018 - parse the body here, so the fallback never races the view for it
    return _executor().submit(_run, ticket, always, copy_current_request_context(answer),
                              *args, **kwargs)


def _within(ticket: Ticket, always: bool, answer: Callable[..., tuple[Response, set[str]]],
            fallback: Callable[[], VoiceResponse], *args: Any,
            **kwargs: Any) -> tuple[Response, set[str]]:
    """Run the view on a pool thread; at the deadline, answer the fallback instead, unless
    the view has committed to its answer (then wait for it, `COMMITTED_GRACE` at most)."""
    job = _submit(ticket, always, answer, *args, **kwargs)
    try:
        return job.result(timeout=max(0.0, ticket.remaining()))  # type: ignore[no-any-return]
    except BudgetSpent:
        pass
    cause = "budget"
    if not ticket.give_up():  # committed: what it answers is what it records
        try:
            return job.result(timeout=deadline.COMMITTED_GRACE)  # type: ignore[no-any-return]
        except BudgetSpent:
            log.error("webhook %s committed to its answer but did not give it in time; "
                      "answering the fallback route", request.path)
            cause = "budget-committed"
    else:
        log.warning("webhook %s not done within its budget; answering the fallback route",
                    request.path)
    WEBHOOK_FALLBACKS.labels(request.endpoint or "unknown").inc()
    return twiml(fallback()), {cause}


def _shed(ticket: Ticket, run_anyway: bool, answer: Callable[..., tuple[Response, set[str]]],
          fallback: Callable[[], VoiceResponse], *args: Any,
          **kwargs: Any) -> tuple[Response, set[str]]:
    """The request waited out its budget in the queue: the fallback now. A view that
    records what happened (`shed=False`) still runs, in the background, its answer unused."""
    ticket.give_up()
    if run_anyway:
        _submit(ticket, True, answer, *args, **kwargs)
    log.warning("webhook %s waited %.1f s in the queue; shedding it to the fallback route",
                request.path, settings().webhook_budget_seconds - ticket.remaining())
    WEBHOOK_FALLBACKS.labels(request.endpoint or "unknown").inc()
    return twiml(fallback()), {"shed"}


@functools.cache
def _latency(endpoint: str) -> Histogram:
    """The endpoint's latency histogram, looked up once (`labels()` locks and validates)."""
    return WEBHOOK_SECONDS.labels(endpoint)


def _rollback() -> None:
    try:
        database.db_session().rollback()
    except Exception:  # the database itself may be what failed
        log.exception("rollback failed")


def undo_if_failed(undo: Callable[[], None]) -> None:
    """Shared-store work that stands only with the request's commit (a claim whose redirect
    is owed in the same transaction): taken back if the view fails or is not let commit."""
    g.setdefault("undo_if_failed", []).append(undo)


def _undo() -> None:
    for undo in g.pop("undo_if_failed", []):
        try:
            undo()
        except DependencyDown:
            log.warning("webhook %s: could not undo its store work (store away)", request.path)


def after_answer(effect: Callable[[], None]) -> None:
    """An effect that must follow this view's answer and never a fallback (a claimed
    caller's redirect: with the fallback the specialist takes the queue, not the claim):
    run once the view has answered and its session committed."""
    g.setdefault("after_answer", []).append(effect)


def _after_answer() -> None:
    for effect in g.pop("after_answer", []):
        effect()


def empty() -> VoiceResponse:
    return VoiceResponse()


def unknown_webhook(err: HTTPException) -> Response | None:
    """A signed Twilio request to a path or method we do not serve (a misconfigured number,
    a webhook set to GET) still reaches a person. Unsigned requests keep the plain error."""
    from ivr.routing_step import safe_route  # the routing step builds on this module

    if not signature_is_valid():
        return None
    log.warning("Twilio asked %s %s (%s); answering the safe route", request.method, request.path,
                err.code)
    WEBHOOK_FALLBACKS.labels("unknown-webhook").inc()
    return twiml(safe_route())
