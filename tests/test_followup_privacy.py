"""The outcome follow-up tells nobody but the caller that they called 2-1-1: a machine hears
nothing, whoever answers hears a neutral opening and is asked for the person first, texts are
neutral, and the caller picks at consent the channel that is safe (or none)."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from flask import Flask
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.simulator.cli import SimClock
from ivr.simulator.engine import SimulationError, answered_by
from survey.definition import DEFINITIONS_DIR, current
from survey.models import FollowUpContact
from tests.conftest import TORONTO
from tests.survey_helpers import (
    FakeTwilio,
    answer_outcome_call,
    answers,
    only_contact,
    run_due_jobs,
)
from tests.test_outcome_followup import CALLER, consent_call

NAMES_US = re.compile(r"2-1-1|\b211\b|helpline", re.IGNORECASE)


def first_call(app: Flask, clock: SimClock, queue: Queue, fake: FakeTwilio) -> dict[str, str]:
    consent_call(app, clock, "1")
    clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    return fake.calls.sent[-1]


def spoken_lines(exchange: object) -> list[str]:
    return [line.text for line in exchange.transcript.lines if line.who.startswith("211")]  # type: ignore[attr-defined]


def test_nothing_names_us_before_the_person_says_it_is_them(
        app: Flask, clock: SimClock, db: Session, queue: Queue, fake_twilio: FakeTwilio) -> None:
    placed = first_call(app, clock, queue, fake_twilio)
    exchange = answer_outcome_call(app, clock, placed, ["1", "1", "1", "1"])
    said = spoken_lines(exchange)
    named = next(i for i, text in enumerate(said) if NAMES_US.search(text))
    assert "call for the person who asked us to call back" in said[0]
    assert "If that is you, press 1" in " ".join(said[:named])
    assert not any(NAMES_US.search(text) for text in said[:named])
    assert only_contact(db).status == "done"


@pytest.mark.parametrize("reply", [["2"], ["say:no, wrong number"], ["silence", "silence"]])
def test_someone_else_hears_a_neutral_goodbye_and_nothing_is_recorded(
        app: Flask, clock: SimClock, db: Session, queue: Queue, fake_twilio: FakeTwilio,
        reply: list[str]) -> None:
    placed = first_call(app, clock, queue, fake_twilio)
    exchange = answer_outcome_call(app, clock, placed, reply)
    said = spoken_lines(exchange)
    assert not any(NAMES_US.search(text) for text in said), said
    assert "Sorry to have disturbed you" in said[-2]
    assert "followed_up" not in answers(db) and only_contact(db).status == "in_progress"
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert len(fake_twilio.calls.sent) == 2  # tried again another day


@pytest.mark.parametrize("answerer", ["machine", "fax"])
def test_a_machine_gets_no_message_and_the_attempt_is_retried(
        app: Flask, clock: SimClock, db: Session, queue: Queue, fake_twilio: FakeTwilio,
        answerer: str) -> None:
    placed = first_call(app, clock, queue, fake_twilio)
    assert placed["machine_detection"] == "Enable"
    exchange = answer_outcome_call(app, clock, placed, ["1", "1"], answerer=answerer)
    assert spoken_lines(exchange) == ["hangs up"]  # not a word recorded
    contact = only_contact(db)
    assert contact.status == "in_progress" and contact.phone == CALLER
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    assert len(fake_twilio.calls.sent) == 2


def test_the_simulator_posts_answered_by_only_with_detection() -> None:
    assert answered_by(None, "machine") is None
    assert answered_by("Enable", "machine") == "machine_start"
    assert answered_by("DetectMessageEnd", "machine") == "machine_end_beep"
    assert answered_by("Enable", "human") == "human" and answered_by("Enable", "fax") == "fax"
    with pytest.raises(SimulationError):
        answered_by("Enable", "robot")


def test_texts_never_name_us(app: Flask, clock: SimClock, db: Session, queue: Queue,
                             fake_twilio: FakeTwilio) -> None:
    consent_call(app, clock, "2")
    clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=TORONTO))
    run_due_jobs(app, queue)
    [sent] = fake_twilio.messages.sent
    assert not NAMES_US.search(sent["body"])
    definition = current("outcome")
    for lang in ("en", "fr"):
        texts = [definition.text(k, lang) for k in ("sms_intro", "sms_outro", "sms_stopped")]
        texts += [q.sms[lang] for q in definition.questions]
        assert all(texts) and not any(NAMES_US.search(t) for t in texts), lang


def test_consent_asks_for_a_safe_channel_and_none_means_none(
        app: Flask, clock: SimClock, db: Session, fake_twilio: FakeTwilio) -> None:
    consent = current("post_call").question("consent")
    assert consent is not None and "safe for you" in consent.prompt["en"]
    assert "sûr pour vous" in consent.prompt["fr"]
    assert set(consent.keys.values()) == {"call", "text", "no"}
    consent_call(app, clock, "3")
    assert db.scalars(select(FollowUpContact)).all() == []
    assert answers(db)["consent"] == "no"


def test_the_wording_is_data_in_the_definition_file() -> None:
    raw = json.loads((DEFINITIONS_DIR / f"outcome-{current('outcome').version}.json").read_text())
    assert {"intro", "identity", "confirmed", "not_reached", "sms_intro"} <= set(raw)
