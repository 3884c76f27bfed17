"""The supervisor board (#12): `/supervisor/board`, a page that refreshes itself every few
seconds, and `GET /api/supervisor/board`, the same as JSON: the queues, the callers waiting
in them and the calls being answered now (each a conference, `ivr.conference_state`), crisis
calls first. From the page a supervisor listens in, whispers to the specialist or barges in
(the call controls' `POST /api/calls/<sid>/supervise`).

Everything here is a read, best-effort: with the shared store away the board says so
(`"degraded": ["redis"]`) and shows no live figures; with the database away it misses the
specialists' names and the crisis flags the call records carry. Never a 500 for either: a
supervisor watching a surge needs the page most when something is down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.auth import api_role_required, page_role_required
from accounts.models import SUPERVISOR
from config.breaker import DependencyDown
from config.clock import now
from config.database import db_session
from config.durable import is_unavailable
from config.extensions import deployment, settings, store
from config.ontario import Deployment
from config.shared_store import SharedStore
from ivr.conference_state import LiveCall, LiveCalls
from ivr.models import CallRecord, Specialist
from ivr.session import CallSession, CallSessions
from routing.store.queue_figures import QueueFigures

bp = Blueprint("supervisor_board", __name__, template_folder="templates",
               static_folder="static", static_url_path="/supervisor/board-static")

REFRESH_SECONDS = 2.5


@dataclass
class Board:
    at: datetime
    queues: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)
    live: list[dict[str, Any]] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"at": self.at.isoformat(), "queues": self.queues,
                                "waiting": self.waiting, "live": self.live}
        if self.degraded:
            data["degraded"] = self.degraded
        return data


def _iso(epoch: float | None) -> str | None:
    return None if not epoch else datetime.fromtimestamp(epoch, UTC).isoformat()


def _queues(figures: QueueFigures, dep: Deployment, at: float) -> list[dict[str, Any]]:
    rows = []
    for pid, provider in sorted(dep.providers.items()):
        snap = figures.snapshot(pid, at)
        rows.append({"provider": pid, "name": provider.name, "waiting": snap.waiting,
                     "longest_wait": round(snap.longest_wait), "specialists": snap.specialists,
                     "callbacks": snap.callbacks})
    return rows


def _waiting(figures: QueueFigures, sessions: CallSessions, dep: Deployment,
             at: float) -> list[dict[str, Any]]:
    rows = []
    for pid in sorted(dep.providers):
        for sid, joined in figures.waiting_callers(pid):
            call = sessions.load(sid) or CallSession(call_sid=sid)
            rows.append({"call_sid": sid, "provider": pid,
                         "waited_seconds": max(0, round(at - joined)),
                         "language": call.language, "interpreter": call.interpreter,
                         "need": call.need, "region": call.region, "crisis": False})
    return rows


def _live(call: LiveCall, sessions: CallSessions, at: float) -> dict[str, Any]:
    """A live call: the conference's facts, and what the caller told the menus (their
    session); talk time from when both parties were in the conference."""
    caller = sessions.load(call.caller_sid) or CallSession(call_sid=call.caller_sid)
    since = call.talk_from
    return {"call_sid": call.caller_sid, "provider": call.provider,
            "specialist_id": call.specialist_id, "specialist_name": None,
            "since": _iso(since or call.claimed_at),
            "talk_seconds": max(0, round(at - since)) if since else 0,
            "language": caller.language, "interpreter": caller.interpreter,
            "need": caller.need, "region": caller.region, "crisis": call.crisis,
            "on_hold": call.hold_since is not None, "conference_sid": call.conference_sid,
            "transfer": call.transfer,
            "interpreters": [i["language"] for i in call.interpreters]}


def _add_records(db: Session, board: Board) -> None:
    """The call records' crisis flags (the need menu's crisis option marks the record) and
    the specialists' names, in two queries for the whole board."""
    rows = board.waiting + board.live
    sids = [row["call_sid"] for row in rows]
    crisis = set(db.scalars(select(CallRecord.call_sid).where(
        CallRecord.call_sid.in_(sids), CallRecord.crisis.is_(True)))) if sids else set()
    ids = {row["specialist_id"] for row in board.live if row["specialist_id"] is not None}
    names: dict[int, str] = {}
    if ids:
        rows_ = db.execute(select(Specialist.id, Specialist.name).where(Specialist.id.in_(ids)))
        names = {sid: name for sid, name in rows_}
    for row in rows:
        row["crisis"] = row["crisis"] or row["call_sid"] in crisis
    for row in board.live:
        row["specialist_name"] = names.get(row["specialist_id"])


def _crisis_first(rows: list[dict[str, Any]], longest: str) -> None:
    rows.sort(key=lambda row: (not row["crisis"], -row[longest]))


def build_board(db: Session, shared: SharedStore, dep: Deployment, session_ttl: int,
                at: datetime) -> Board:
    """The board at `at`: every provider's queue, who waits, the live calls, crisis first."""
    board, epoch = Board(at=at), at.timestamp()
    figures = QueueFigures(shared)
    try:
        board.queues = _queues(figures, dep, epoch)
        sessions = CallSessions(shared, session_ttl)
        board.waiting = _waiting(figures, sessions, dep, epoch)
        board.live = [_live(call, sessions, epoch) for call in LiveCalls(shared).all()]
    except DependencyDown:
        board.queues, board.waiting, board.live = [], [], []
        board.degraded.append("redis")
    try:
        _add_records(db, board)
    except Exception as err:
        if not (isinstance(err, DependencyDown) or is_unavailable(err)):
            raise
        db.rollback()
        board.degraded.append("database")
    _crisis_first(board.waiting, "waited_seconds")
    _crisis_first(board.live, "talk_seconds")
    return board


def current() -> Board:
    return build_board(db_session(), store(), deployment(), settings().session_ttl_seconds,
                       now())


@bp.get("/supervisor/board")
@page_role_required(SUPERVISOR)
def board_page() -> str:
    return render_template("ivr/board.html", refresh_ms=int(REFRESH_SECONDS * 1000))


@bp.get("/api/supervisor/board")
@api_role_required(SUPERVISOR)
def board_api() -> Any:
    """Queues, waiting callers and live calls now; `degraded` names what could not be read."""
    return jsonify(current().as_dict())
