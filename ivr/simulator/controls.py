"""The simulator's `--control`: mid-call, the specialist's lookup page (or a supervisor's
board) does what a person there would, so the demo shows each call control (#12).

Each control is a few requests to the call controls API (`ivr.call_controls`) at set
seconds into the talk, made with the staff member's API token as the page makes them, for
the caller's CallSid as the exchange knows it (the conference in progress). Each answer,
status and JSON, goes into the transcript: a refusal (a call that is not this specialist's,
a token missing or wrong) is read there, not hidden. Twilio's part (the interpreter line or
far end answering, or not; the hold; the hand-over) is the exchange's, as in the tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ivr.simulator.engine import Exchange

FAR_END = "+14165550123"  # a warm transfer's far end (fictional, as the tests' is)
SUPERVISOR_PHONE = "+14165550777"
INTERPRETER_LANGUAGE = "pa"  # Punjabi: the demo caller speaks English; any vendor language does
SPECIALIST, SUPERVISOR = "specialist", "supervisor"


@dataclass(frozen=True)
class Step:
    at: float  # seconds into the talk
    path: str  # after /api/calls/<caller sid>/
    body: dict[str, Any]
    who: str = SPECIALIST  # whose token: SPECIALIST or SUPERVISOR


@dataclass(frozen=True)
class Control:
    steps: tuple[Step, ...]
    unanswered: frozenset[str] = frozenset()  # numbers that ring out (Exchange.unanswered)

    @property
    def needs(self) -> set[str]:
        return {step.who for step in self.steps}


def transfer_to(target_kind: str, target: str = "", kind: str = "warm") -> dict[str, Any]:
    return {"kind": kind, "target_kind": target_kind, **({"target": target} if target else {})}


CONTROLS: dict[str, Control] = {
    "interpreter": Control((Step(30, "interpreter", {"language": INTERPRETER_LANGUAGE}),)),
    "warm-transfer": Control((Step(20, "transfer", transfer_to("number", FAR_END)),
                              Step(80, "transfer/complete", {}))),
    "warm-transfer-unanswered": Control((Step(20, "transfer", transfer_to("number", FAR_END)),),
                                        unanswered=frozenset({FAR_END})),
    "cold-transfer": Control((Step(30, "transfer", transfer_to("line", "health811", "cold")),)),
    "crisis": Control((Step(15, "transfer", transfer_to("crisis")),
                       Step(45, "transfer/complete", {}))),
    "supervise": Control(tuple(Step(at, "supervise", {"mode": mode, "phone": SUPERVISOR_PHONE},
                                    SUPERVISOR)
                               for at, mode in ((10, "listen"), (40, "whisper"), (70, "barge")))),
}


class Poster(Protocol):
    def __call__(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]: ...


def answer_text(status: int, text: str) -> str:
    """The API's answer as one line: its status and its JSON (the reason, on a refusal)."""
    try:
        shown = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        shown = " ".join(text.split())[:160] or "(no body)"
    return f"{status} {shown}"


def hook(step: Step, token: str, post: Poster) -> Callable[[Exchange], None]:
    who = "specialist's page" if step.who == SPECIALIST else "supervisor's board"

    def act(exchange: Exchange) -> None:
        room = exchange.room
        if room is None:  # (hooks run only in a conference)
            return
        path = f"/api/calls/{room.caller.sid}/{step.path}"
        status, text = post(path, step.body, {"Authorization": f"Bearer {token}"})
        body = f" {json.dumps(step.body)}" if step.body else ""
        exchange.log(room.caller, who, f"POST {path}{body} -> {answer_text(status, text)}")

    return act


def during_call(control: Control, tokens: dict[str, str],
                post: Poster) -> list[tuple[float, Callable[[Exchange], None]]]:
    """`Specialist.during_call` hooks for `control`, with each role's token."""
    return [(step.at, hook(step, tokens[step.who], post)) for step in control.steps]
