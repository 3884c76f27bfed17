"""`--control` (#12): the demo's simulated call with a call control used mid-call, as the
specialist's page (or a supervisor's board) uses it, with the staff's own API tokens:
`flask simulate --control ...` in-process, and `python -m ivr.simulator --control ...`
against a server over HTTP, whose REST requests reach the simulator's stand-in (what
scripts/demo.sh runs). The transcript shows each request's answer and what Twilio did."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.extensions import deployment
from ivr.models import CallTransfer, InterpreterSession
from ivr.simulator.controls import FAR_END, SUPERVISOR_PHONE
from tests.calls import add_specialists, only_record
from tests.conftest import LAB_BASE_URL
from tests.test_call_controls import NORTH, token_for
from tests.test_use_it import run_simulator, serving

SURVEY = "How satisfied are you"


def staff_tokens(db: Session) -> list[str]:
    """The demo's staff as `flask users token` gives them: the specialist linked to North's
    demo phone (the one a Wednesday-afternoon call reaches), and a supervisor."""
    add_specialists(db)
    specialist = token_for(db, "specialist", NORTH)["Authorization"].removeprefix("Bearer ")
    supervisor = token_for(db, "supervisor")["Authorization"].removeprefix("Bearer ")
    return ["--specialist-token", specialist, "--supervisor-token", supervisor]


@pytest.fixture
def tokens(db: Session) -> list[str]:
    return staff_tokens(db)


def simulate(app: Flask, control: str, tokens: list[str]) -> str:
    result = app.test_cli_runner().invoke(args=["simulate", "--control", control, *tokens])
    assert result.exit_code == 0, result.output
    assert "joins queue 211-north" in result.output, result.output
    return result.output


def in_order(text: str, *lines: str) -> None:
    at = [text.find(line) for line in lines]
    assert all(i >= 0 for i in at) and at == sorted(at), (list(zip(lines, at, strict=True)), text)


def test_interpreter_joins_dialled_with_its_codes_then_the_survey(
        app: Flask, db: Session, tokens: list[str]) -> None:
    out = simulate(app, "interpreter", tokens)
    with app.app_context():
        code = next(v for v in deployment().call_lines.vendors.values()
                    if "pa" in v.languages).languages["pa"]
    in_order(out, 'interpreter {"language": "pa"} -> 202', "the interpreter joins",
             "DTMF sent to the interpreter: ", f"#ww{code}#", "the interpreter leaves", SURVEY)
    assert db.scalars(select(InterpreterSession)).one().language == "pa"


def test_warm_transfer_consults_then_hands_over(app: Flask, db: Session, tokens: list[str]) -> None:
    out = simulate(app, "warm-transfer", tokens)
    in_order(out, f'"target": "{FAR_END}"}} -> 202', "the caller is on hold (music)",
             f"{FAR_END} answers: the transfer joins", "transfer/complete -> 202",
             "the caller is back from hold", "the specialist leaves the conference (handed over)",
             "the far end hangs up", SURVEY)
    moved = db.scalars(select(CallTransfer)).one()
    assert (moved.kind, moved.target, moved.outcome) == ("warm", FAR_END, "answered")


def test_warm_transfer_not_answered_leaves_the_caller_with_the_specialist(
        app: Flask, db: Session, tokens: list[str]) -> None:
    out = simulate(app, "warm-transfer-unanswered", tokens)
    in_order(out, "the caller is on hold (music)", f"{FAR_END} (transfer) does not answer",
             "the caller is back from hold", "the specialist hangs up with *", SURVEY)
    assert "handed over" not in out
    assert db.scalars(select(CallTransfer)).one().outcome == "no-answer"


def test_cold_transfer_hands_over_as_the_far_end_answers(
        app: Flask, db: Session, tokens: list[str]) -> None:
    out = simulate(app, "cold-transfer", tokens)
    in_order(out, '"target": "health811"} -> 202', "answers: the transfer joins",
             "the caller is back from hold", "(handed over)", "the far end hangs up", SURVEY)
    assert "the conference ends" not in out  # the specialist's endConferenceOnExit turned off first
    moved = db.scalars(select(CallTransfer)).one()
    assert (moved.kind, moved.target_kind, moved.outcome) == ("cold", "line", "answered")


def test_crisis_transfer_dials_the_crisis_line_and_flags_the_call(
        app: Flask, db: Session, tokens: list[str]) -> None:
    crisis_line = app.extensions["settings"].crisis_line_number
    out = simulate(app, "crisis", tokens)
    in_order(out, '"target_kind": "crisis"} -> 202', f"{crisis_line} answers: the transfer joins",
             "transfer/complete -> 202", "(handed over)", SURVEY)
    record = only_record(db)
    assert (record.crisis, record.crisis_via) == (True, "specialist")


def test_supervisor_listens_whispers_and_barges(app: Flask, db: Session, tokens: list[str]) -> None:
    out = simulate(app, "supervise", tokens)
    joins = f"{SUPERVISOR_PHONE} answers: the supervisor joins"
    in_order(out, "supervisor's board POST", '"listen"', f"{joins} (muted: listening)",
             '"whisper"', "the supervisor is now coaching the specialist", '"barge"',
             "the supervisor is now in the call", SURVEY)
    assert out.count(joins) == 1  # one call from the supervisor's phone, three modes


def test_a_refusal_is_shown_with_its_reason(app: Flask, db: Session, tokens: list[str]) -> None:
    """The specialist's token for a call another phone answers: 403 and why, in the transcript."""
    specialist_token = tokens[:2]
    result = app.test_cli_runner().invoke(args=[
        "simulate", "--control", "warm-transfer", *specialist_token, "--at", "2026-12-25T03:00"])
    assert result.exit_code == 0, result.output
    assert "joins queue 211-after-hours" in result.output
    assert '-> 403 {"error": "this call is not yours"}' in result.output
    assert "the transfer joins" not in result.output and SURVEY in result.output


def test_a_missing_token_is_asked_for_before_the_call(app: Flask, tokens: list[str]) -> None:
    result = app.test_cli_runner().invoke(args=["simulate", "--control", "supervise", *tokens[:2]])
    assert result.exit_code == 2 and "--supervisor-token" in result.output
    assert "dials 2-1-1" not in result.output


def test_warm_transfer_over_http_as_the_demo_runs_it(lab: Flask, lab_db: Session) -> None:
    """Against a server over HTTP on the demo clock (scripts/demo.sh): the control requests
    carry the simulated time, the participant updates (hold, the hand-over) and the calls
    placed reach the simulator's REST stand-in, and are played."""
    tokens, db = staff_tokens(lab_db), lab_db
    with serving(lab) as url:
        code, out = run_simulator(url, "--control", "warm-transfer", *tokens, base=LAB_BASE_URL,
                                  app=lab)
    assert code == 0, out
    in_order(out, "joins queue 211-north", "transfer {", "-> 202", "the caller is on hold (music)",
             f"{FAR_END} answers: the transfer joins", "transfer/complete -> 202",
             "the caller is back from hold", "(handed over)", "the far end hangs up", SURVEY)
    assert only_record(db).hold_seconds == 60
