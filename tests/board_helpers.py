"""Known live calls, waiting callers and staff for the supervisor board's tests (#12)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from accounts.models import User, token_digest
from config.shared_store import SharedStore
from ivr.call_extras import mark_crisis
from ivr.conference_state import LiveCall, LiveCalls
from ivr.models import Specialist
from ivr.session import CallSession, CallSessions
from routing.store.queue_figures import QueueFigures
from tests.test_admin_routing_api import TOKENS, add_users
from tests.test_admin_routing_api import auth as role_auth

SUPERVISOR_TOKEN = "board-supervisor-token"
PASSWORD = "correct horse battery staple"


def add_staff(db: Session) -> None:
    """The routing API tests' users (admin, specialist, planner) and a supervisor."""
    add_users(db)
    user = User(email="supervisor@example.org", name="Supervisor", role="supervisor",
                password_hash="", api_token_digest=token_digest(SUPERVISOR_TOKEN))
    user.set_password(PASSWORD)
    db.add(user)
    db.commit()


def auth(role: str) -> dict[str, str]:
    if role == "supervisor":
        return {"Authorization": f"Bearer {SUPERVISOR_TOKEN}"}
    assert role in TOKENS
    return role_auth(role)


def live_call(store: SharedStore, sid: str, specialist_id: int, answered: datetime,
              controls: dict[str, Any] | None = None, **caller: object) -> None:
    """A caller answered at Central at `answered` (both parties in the conference then),
    with the call controls' state (`controls`: hold_since, transfer...) and what they told
    the menus (`caller`: language, need, region...) in their session."""
    at = answered.timestamp()
    LiveCalls(store).save(LiveCall(sid, f"{sid}-agent", specialist_id, "central",
                                   claimed_at=at - 5, joined_queue_at=at - 60, joined_at=at,
                                   caller_in=at, specialist_in=at - 3,
                                   conference_sid=f"CF{sid}", **(controls or {})))
    CallSessions(store, 3600).save(CallSession(call_sid=sid, **caller))  # type: ignore[arg-type]


def known_board(app: Flask, db: Session, store: SharedStore, t: datetime) -> None:
    """At `t`: two calls answered at Central (Sam's on hold, a Punjabi interpreter on the line; Ana's,
    the later, a crisis call by its record), two callers waiting (one at East in French for
    housing), one specialist signed in."""
    m = timedelta(minutes=1)
    db.add_all([Specialist(name="Sam", phone="+14165550199", provider="central", languages="en"),
                Specialist(name="Ana", phone="+14165550198", provider="central", languages="en")])
    db.commit()
    add_staff(db)
    on_hold = {"hold_since": t.timestamp() - 30,
               "interpreters": [{"vendor": "voxbridge", "language": "pa", "sid": "CAi"}]}
    live_call(store, "CAold", 1, t - 9 * m, on_hold, language="pa", interpreter="pa",
              need="food", region="central")
    live_call(store, "CAcrisis", 2, t - 2 * m, need="mental_health", region="north")
    with app.app_context():
        mark_crisis("CAcrisis", "menu", t - 5 * m)
    figures = QueueFigures(store)
    figures.caller_enqueued("central", "CAwait1", (t - 3 * m).timestamp())
    figures.caller_enqueued("east", "CAwait2", (t - 1 * m).timestamp())
    figures.specialist_signed_in("central", "CAsam", (t - 60 * m).timestamp())
    CallSessions(store, 3600).save(CallSession(call_sid="CAwait2", language="fr", need="housing",
                                               region="east"))
