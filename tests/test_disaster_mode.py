"""Disaster mode (#15): one admin action, audited, in effect on the next call of every worker;
the bulletin first, the information option, pooled overflow, longer queues; off restores the
published rules exactly; and the call is answered whatever cannot be read."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from config.settings import Settings
from config.shared_store import RedisStore, SharedStore
from ivr.cli import DEMO_SPECIALISTS
from ivr.simulator.cli import SimClock
from routing.engine.decision import CallContext
from routing.engine.default_rules import default_ruleset
from routing.engine.disaster import (
    CALLBACK_AFTER_SECONDS,
    MAX_WAIT_FACTOR,
    OFF,
    POOLED,
    DisasterMode,
    disaster_overlay,
    pooled_target,
)
from routing.engine.evaluate import evaluate
from routing.engine.figures import NO_FIGURES, Figures
from routing.engine.ruleset import CALLBACK, Action, Conditions, Rule
from routing.service import effective, published
from routing.store.models import RoutingAudit
from tests.calls import add_specialists, only_record, place_call
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, _app_for
from tests.fault_servers import RedisServer
from tests.test_admin_routing_api import add_users, auth
from tests.twilio_helpers import SignedClient, counter_total, spoken, twiml

ON = {"on": True, "event": "the Goderich tornado",
      "bulletin_en": "A tornado struck Goderich. For an emergency, hang up and dial 9-1-1.",
      "bulletin_fr": "Une tornade a frappé Goderich. En cas d'urgence, composez le 9-1-1.",
      "info_en": "Shelters are open at the Goderich arena. To donate, give to the Red Cross.",
      "info_fr": "Des refuges sont ouverts à l'aréna de Goderich. Pour donner : la Croix-Rouge."}


@pytest.fixture(autouse=True)
def _staff(db: Session) -> None:
    add_users(db)
    db.commit()


def turn(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.put("/api/admin/disaster", json=body, headers=auth("admin"))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def first_menu(twilio: SignedClient, sid: str, number: str = "+18075550123") -> str:
    return spoken(twiml(twilio.post("/voice/incoming", CallSid=sid, From=number)))


# --- the overlay, a pure function -------------------------------------------------------


def test_the_overlay_pools_overflow_and_raises_max_waits_and_off_is_the_set_itself() -> None:
    rs = default_ruleset()
    assert disaster_overlay(rs, OFF) is rs
    on = disaster_overlay(rs, DisasterMode(on=True, event="flood", version=1))
    assert on != rs
    for pid, provider in on.providers.items():
        assert provider.overflow == POOLED
        assert provider.max_wait_seconds == rs.providers[pid].max_wait_seconds * MAX_WAIT_FACTOR
    enqueues = [r for r in on.rules if r.then.type == "enqueue"]
    assert enqueues and all(r.then.overflow == POOLED for r in enqueues)
    assert [r.id for r in on.rules] == ["disaster-callback", *(r.id for r in rs.rules)]
    # the published set's per-region index is not shared with the overlaid one
    rs.rules_for_region("north")
    assert on._by_region is not rs._by_region


def test_the_overlay_offers_callbacks_from_a_lower_wait_and_never_raises_it() -> None:
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    ctx = CallContext(region="north")
    rs = default_ruleset()
    mode = DisasterMode(on=True, event="flood", version=1)
    assert evaluate(rs, ctx, at, {}).callback_after_seconds is None
    assert evaluate(disaster_overlay(rs, mode), ctx, at, {}).callback_after_seconds == \
        CALLBACK_AFTER_SECONDS
    published = replace(rs, rules=(*rs.rules[:-1], Rule(
        id="callbacks", when=Conditions(), then=Action(type=CALLBACK, after_seconds=600)),
        rs.rules[-1]), _by_region={})
    assert evaluate(published, ctx, at, {}).callback_after_seconds == 600
    assert evaluate(disaster_overlay(published, mode), ctx, at, {}).callback_after_seconds == \
        CALLBACK_AFTER_SECONDS
    lower = replace(published, rules=tuple(
        replace(r, then=replace(r.then, after_seconds=30)) if r.id == "callbacks" else r
        for r in published.rules), _by_region={})
    assert evaluate(disaster_overlay(lower, mode), ctx, at, {}).callback_after_seconds == 30


def test_a_pooled_overflow_goes_to_the_queue_with_capacity_in_the_callers_language() -> None:
    rs = default_ruleset()
    busy = Figures(waiting=6, longest_wait=300, average_wait=200, specialists=2, handle_time=300)
    free = Figures(waiting=0, longest_wait=0, average_wait=30, specialists=1, handle_time=300)
    figures = dict.fromkeys(rs.providers, NO_FIGURES) | {"east": busy, "north": free,
                                                         "central_east": free}
    assert pooled_target(rs, "central_east", "en", figures) == "north"  # not the one it leaves
    assert pooled_target(rs, "north", "en", figures) == "central_east"
    french = [pid for pid, p in rs.providers.items() if "fr" in p.languages]
    assert pooled_target(rs, "central_east", "fr", figures) in french
    assert pooled_target(rs, "central_east", "en", dict.fromkeys(rs.providers, NO_FIGURES)) is None


@pytest.mark.parametrize(("digits", "speech", "language", "asked"), [
    ("9", "", "en", True), ("2", "information", "en", False), ("", "information please", "en", True),
    ("", "I want to donate", "en", True), ("", "volunteers", "en", True), ("", "food", "en", False),
    ("", "renseignements", "fr", True), ("", "je veux être bénévole", "fr", True),
    ("", "je n'ai pas de logement donc", "fr", False),  # not "don"
    ("", "infos sur le logement", "fr", False), ("", "formation", "fr", False),
])
def test_the_information_option_is_asked_for_by_nine_or_by_its_words(
        digits: str, speech: str, language: str, asked: bool) -> None:
    from ivr.matching import match_info_request

    assert match_info_request(digits, speech, language) is asked


# --- the admin action ----------------------------------------------------------------------


def test_on_and_off_are_audited_and_answered(client: FlaskClient, db: Session) -> None:
    assert client.get("/api/admin/disaster", headers=auth("admin")).get_json()["on"] is False
    on = turn(client, ON)
    assert (on["on"], on["event"], on["changed_by"]) == (True, ON["event"], "admin@example.org")
    assert client.get("/api/admin/disaster", headers=auth("admin")).get_json()["info_fr"] == ON["info_fr"]
    off = turn(client, {"on": False})
    assert off["on"] is False and off["version"] > on["version"]
    entries = db.scalars(select(RoutingAudit).where(RoutingAudit.action.like("disaster.%"))
                         .order_by(RoutingAudit.id)).all()
    assert [e.action for e in entries] == ["disaster.on", "disaster.off"]
    assert all(e.actor == "admin@example.org" for e in entries)
    changes = {c["path"]: c for c in entries[0].changes}
    assert changes["on"]["before"] is False and changes["on"]["after"] is True
    assert changes["bulletin_en"]["after"] == ON["bulletin_en"]
    assert "Goderich tornado" in entries[1].summary


@pytest.mark.parametrize(("body", "field"), [
    ({**ON, "info_fr": "  "}, "info_fr"),
    ({k: v for k, v in ON.items() if k != "event"}, "event"),
    ({**ON, "bulletin_en": "x" * 1001}, "bulletin_en"),
    ({**ON, "event": 7}, "event"),
    ({**ON, "info_en": "Shelters\x00 open"}, "info_en"),
    ({**ON, "on": "maybe"}, "on"),
    ({**ON, "colour": "red"}, "colour"),
    ({"on": False, "event": "flood"}, "event"),
    ({"event": "flood"}, "on"),
])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
        client: FlaskClient, db: Session, body: dict[str, Any], field: str) -> None:
    resp = client.put("/api/admin/disaster", json=body, headers=auth("admin"))
    assert resp.status_code == 400, resp.get_json()
    answer = resp.get_json()
    assert answer["error"].startswith(field) and field in answer["errors"]
    assert client.get("/api/admin/disaster", headers=auth("admin")).get_json()["on"] is False
    assert db.scalars(select(RoutingAudit).where(RoutingAudit.action.like("disaster.%"))).first() is None


def test_only_admins_turn_it_on(client: FlaskClient) -> None:
    for role in ("specialist", "planner"):
        resp = client.put("/api/admin/disaster", json=ON, headers=auth(role))
        assert resp.status_code == 403 and resp.get_json()["error"]
    assert client.put("/api/admin/disaster", json=ON).status_code == 401


def test_the_admin_page_asks_first_then_turns_it_on_and_off(app: Flask, client: FlaskClient,
                                                           twilio: SignedClient) -> None:
    resp = client.post("/login", data={"email": "admin@example.org",
                                       "password": "correct horse battery staple"})
    assert resp.status_code == 302
    form = {k: v for k, v in ON.items() if k != "on"}
    bad = client.post("/admin/routing/disaster/on", data={**form, "bulletin_fr": ""})
    assert bad.status_code == 400 and "This field is required" in bad.get_data(as_text=True)
    asked = client.post("/admin/routing/disaster/on", data=form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Turn on disaster mode for the Goderich tornado?" in page
    assert 'name="info_en" value="Shelters are open' in page  # the confirming POST sends them again
    assert "Goderich" not in first_menu(twilio, "CApage0")  # asked, not yet done
    done = client.post("/admin/routing/disaster/on", data={**form, "confirm": "yes"})
    assert done.status_code == 302
    assert "A tornado struck Goderich" in first_menu(twilio, "CApage1")
    assert "<strong>on</strong> for the Goderich tornado" in client.get(
        "/admin/routing/disaster/").get_data(as_text=True)
    assert "Turn off disaster mode" in client.post("/admin/routing/disaster/off").get_data(as_text=True)
    assert client.post("/admin/routing/disaster/off", data={"confirm": "yes"}).status_code == 302
    assert "Goderich" not in first_menu(twilio, "CApage2")


# --- callers ---------------------------------------------------------------------------------


def test_a_call_hears_the_bulletin_first_and_takes_the_information_option(
        app: Flask, client: FlaskClient, clock: SimClock, db: Session) -> None:
    turn(client, ON)
    call = place_call(app, clock, "+18075550123", ["1", "9", "1", "silence", "silence", "silence"])
    lines = [line for line in call.transcript.lines if line.who.startswith("211")]
    assert "A tornado struck Goderich" in lines[0].text  # before anything else
    assert "Une tornade a frappé Goderich" in lines[1].text
    assert "Welcome to 2-1-1 Ontario" in lines[2].text
    said = [line.text for line in lines]
    offer = next(i for i, s in enumerate(said) if "If you are calling about the Goderich tornado" in s)
    assert "What do you need help with" in said[offer + 1]  # offered first, before the needs
    assert sum("Shelters are open at the Goderich arena" in s for s in said) == 2  # and again
    assert sum("To hear this information again, press 1" in s for s in said) == 4
    assert "If you need more help, please call again. Goodbye." in said[-2] and said[-1] == "hangs up"
    assert "enqueue" not in call.transcript.render().lower()  # no specialist was needed
    record = only_record(db)
    assert (record.result, record.region, record.need, record.enqueued_at) == (
        "information", "north", None, None)


def test_an_informed_caller_can_still_reach_a_specialist_in_french(
        app: Flask, client: FlaskClient, clock: SimClock, db: Session) -> None:
    add_specialists(db)
    turn(client, ON)
    call = place_call(app, clock, "+18075550123", ["2", "say:information", "say:spécialiste"],
                      specialist=DEMO_SPECIALISTS["north"])
    text_ = call.transcript.render()
    assert "Des refuges sont ouverts à l'aréna de Goderich" in text_
    assert "the specialist is on the line" in text_
    record = only_record(db)
    assert (record.result, record.provider, record.need, record.language) == (
        "answered", "north", "other", "fr")


def test_past_the_max_wait_a_caller_goes_to_any_region_with_capacity(
        app: Flask, client: FlaskClient, clock: SimClock, db: Session) -> None:
    # Central East's own queue is unanswered; East's specialist is signed in and free. The
    # published rules overflow Central East to Central (nobody there): pooled, it is East.
    add_specialists(db)
    turn(client, ON)
    call = place_call(app, clock, "+17057260123", ["1", "1"], specialist=DEMO_SPECIALISTS["east"],
                      answer_after=5)
    text_ = call.transcript.render()
    assert "caller leaves queue 211-central-east" in text_
    assert "connecting you with another 2-1-1 team" in text_
    record = only_record(db)
    assert (record.provider, record.overflowed, record.result) == ("east", True, "answered")
    left = next(line for line in call.transcript.lines
                if "caller leaves queue 211-central-east" in line.text)
    joined = next(line for line in call.transcript.lines if "211-central-east" in line.text)
    assert left.t - joined.t >= 600 * MAX_WAIT_FACTOR  # the raised max wait, not the published 600
    overflow = next(step for step in record.routing_trace or [] if step["rule"] == "overflow")
    assert "central_east -> east (pooled" in overflow["why"]


def test_one_call_through_disaster_mode_bulletin_information_then_pooled_overflow(
        app: Flask, client: FlaskClient, clock: SimClock, db: Session) -> None:
    """The issue's simulated call: the bulletin first, the information option, then a
    specialist asked for, and past the (raised) max wait the pool finds one in another region."""
    add_specialists(db)
    turn(client, ON)
    call = place_call(app, clock, "+17057260123", ["1", "9", "2"], specialist=DEMO_SPECIALISTS["east"],
                      answer_after=5)
    said = call.transcript.said("211")
    assert "A tornado struck Goderich" in said[0] and "Welcome to 2-1-1 Ontario" in said[2]
    assert any("Shelters are open at the Goderich arena" in s for s in said)
    text_ = call.transcript.render()
    assert "caller leaves queue 211-central-east" in text_ and "the specialist is on the line" in text_
    record = only_record(db)
    assert (record.result, record.provider, record.overflowed, record.need) == (
        "answered", "east", True, "other")


def test_callbacks_are_offered_from_the_lower_wait_only_while_it_is_on(
        app: Flask, client: FlaskClient, clock: SimClock) -> None:
    offer = "To keep your place in line and be called back"
    # the published rules offer no callback: two minutes on hold and nothing
    ordinary = place_call(app, clock, "+18075550123", ["1", "1"], hangup_after=CALLBACK_AFTER_SECONDS + 60)
    assert offer not in ordinary.transcript.render()
    turn(client, ON)
    call = place_call(app, clock, "+18075550123", ["1", "1"], hangup_after=CALLBACK_AFTER_SECONDS + 60)
    lines = call.transcript.lines
    joined = next(line.t for line in lines if "211-north" in line.text)
    offered = next(line.t for line in lines if offer in line.text)
    assert offered - joined >= CALLBACK_AFTER_SECONDS  # from the lower wait, not at once


def test_turning_it_off_restores_the_published_rules_exactly(
        app: Flask, client: FlaskClient, twilio: SignedClient) -> None:
    explain = {"from": "+17057260123", "at": "2026-11-23T10:00", "rules": "published"}

    def test_call() -> dict[str, Any]:
        resp = client.post("/api/admin/routing/explain", json=explain, headers=auth("admin"))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()  # type: ignore[no-any-return]

    def in_effect() -> Any:
        with app.test_request_context("/"):
            return effective(), published()

    first_menu(twilio, "CA0")  # the worker has read the rules and the mode
    before, before_published = in_effect()
    assert before is before_published
    explained_before = test_call()
    assert explained_before["disaster_mode"]["on"] is False

    turn(client, ON)
    during, during_published = in_effect()
    assert during.ruleset != before.ruleset and during_published.ruleset == before.ruleset
    explained = test_call()
    assert explained["disaster_mode"] == {"on": True, "event": "the Goderich tornado"}
    assert explained["decision"]["overflow_provider"] == POOLED
    assert explained["decision"]["max_wait_seconds"] == 600 * MAX_WAIT_FACTOR

    turn(client, {"on": False})
    after, after_published = in_effect()
    assert after is after_published
    assert after.ruleset == before.ruleset and after.deployment == before.deployment
    assert after.live_queues == before.live_queues and after.number == before.number
    assert test_call() == explained_before


def test_test_a_call_shows_disaster_mode_and_previews_it(client: FlaskClient) -> None:
    resp = client.post("/login", data={"email": "admin@example.org",
                                       "password": "correct horse battery staple"})
    assert resp.status_code == 302
    form = {"caller": "+17057260123", "at": "2026-11-23T10:00", "language": "en",
            "rules": "draft"}
    ordinary = client.post("/admin/routing/test", data={**form, "disaster": "now"}).get_data(as_text=True)
    assert "max wait 600 s" in ordinary and "disaster mode on" not in ordinary
    preview = client.post("/admin/routing/test", data={**form, "disaster": "on"}).get_data(as_text=True)
    assert "<strong>disaster mode on</strong>" in preview and "max wait 1200 s" in preview
    turn(client, ON)
    now_page = client.post("/admin/routing/test", data={**form, "disaster": "now"}).get_data(as_text=True)
    assert "<strong>disaster mode on</strong>: the Goderich tornado" in now_page
    assert "max wait 600 s" in client.post("/admin/routing/test", data={
        **form, "disaster": "off"}).get_data(as_text=True)


# --- every worker, and what cannot be read ---------------------------------------------------


@pytest.fixture
def second_app(settings: Settings, store: SharedStore, clock: SimClock) -> Iterator[Flask]:
    """Another worker: its own caches, the same database and store."""
    yield from _app_for(settings, store, clock)


def test_in_effect_on_another_worker_from_its_next_call(client: FlaskClient,
                                                        second_app: Flask) -> None:
    other = SignedClient(second_app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
    assert "Goderich" not in first_menu(other, "CAw0")  # it holds "off"
    turn(client, ON)
    assert "A tornado struck Goderich" in first_menu(other, "CAw1")
    other.post("/voice/incoming", CallSid="CAw2", From="+18075550123")
    need_menu = spoken(twiml(other.post("/voice/language", CallSid="CAw2", Digits="1")))
    assert "If you are calling about the Goderich tornado" in need_menu
    turn(client, {"on": False})
    assert "Goderich" not in first_menu(other, "CAw3")


def test_a_database_that_cannot_be_read_keeps_the_last_mode_and_the_call_answered(
        app: Flask, client: FlaskClient, twilio: SignedClient, second_app: Flask,
        store: SharedStore, db: Session) -> None:
    turn(client, ON)
    assert "A tornado struck Goderich" in first_menu(twilio, "CAdb0")  # this worker holds "on"
    db.execute(text("ALTER TABLE disaster_mode_changes RENAME TO disaster_mode_away"))
    db.commit()  # every later read of the mode fails...
    try:
        store.incr("disaster:version")  # ... and every worker must read it again
        assert "A tornado struck Goderich" in first_menu(twilio, "CAdb1")  # the last mode read
        twilio.post("/voice/language", CallSid="CAdb1", Digits="1")
        info = spoken(twiml(twilio.post("/voice/need", CallSid="CAdb1", Digits="9")))
        assert "Shelters are open at the Goderich arena" in info
        fresh = SignedClient(second_app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
        menu = first_menu(fresh, "CAdb2")  # never read it: the ordinary line, answered
        assert "Welcome to 2-1-1 Ontario" in menu and "Goderich" not in menu
    finally:
        db.rollback()
        db.execute(text("ALTER TABLE disaster_mode_away RENAME TO disaster_mode_changes"))
        db.commit()


@pytest.fixture
def redis_app(settings: Settings, own_redis: RedisServer, clock: SimClock) -> Iterator[Flask]:
    """A worker on a redis-server of the test's own, which the test kills."""
    cfg = replace(settings, redis_url=own_redis.url, redis_timeout_seconds=0.2,
                  breaker_cooldown_seconds=0.3)
    store = RedisStore.from_url(own_redis.url, f"disaster-{uuid.uuid4().hex}", timeout=0.2)
    yield from _app_for(cfg, store, clock)


def test_a_store_that_is_down_keeps_the_last_mode_and_the_call_answered(
        redis_app: Flask, own_redis: RedisServer) -> None:
    twilio = SignedClient(redis_app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
    turn(redis_app.test_client(), ON)
    assert "A tornado struck Goderich" in first_menu(twilio, "CAr0")
    own_redis.kill()
    assert "A tornado struck Goderich" in first_menu(twilio, "CAr1")  # held in memory
    twilio.post("/voice/language", CallSid="CAr1", Digits="1")
    assert "Shelters are open" in spoken(twiml(twilio.post("/voice/need", CallSid="CAr1", Digits="9")))
    own_redis.start()  # back with nothing: the counter moved (to none), the mode is read again
    time.sleep(0.4)  # the breaker's cooldown
    assert "A tornado struck Goderich" in first_menu(twilio, "CAr2")


def test_a_shed_first_webhook_still_plays_the_bulletin_this_worker_holds(
        client: FlaskClient, twilio: SignedClient) -> None:
    turn(client, ON)
    first_menu(twilio, "CAshed0")
    shed = counter_total("helpline_degraded_answers_total", cause="shed")
    stale = {"X-Request-Start": f"t={time.time() - 3.9:.3f}"}  # its budget spent queueing
    resp = twilio.post_with(stale, "/voice/incoming", CallSid="CAshed1", From="+18075550123")
    said = spoken(twiml(resp))
    assert counter_total("helpline_degraded_answers_total", cause="shed") == shed + 1
    assert "A tornado struck Goderich" in said and "For English, press 1" in said


def test_the_cli_turns_it_on_and_off_and_refuses_a_missing_text(app: Flask, twilio: SignedClient,
                                                                db: Session) -> None:
    runner = app.test_cli_runner()
    args = [f"--{name.replace('_', '-')}={value}" for name, value in ON.items() if name != "on"]
    refused = runner.invoke(args=["routing", "disaster", "on", *args[:-1]])
    assert refused.exit_code == 2 and "info_fr is required" in refused.output
    on = runner.invoke(args=["routing", "disaster", "on", *args])
    assert on.exit_code == 0, on.output
    assert '"on": true' in on.output
    assert "A tornado struck Goderich" in first_menu(twilio, "CAcli0")
    assert runner.invoke(args=["routing", "disaster", "off"]).exit_code == 0
    assert "Goderich" not in first_menu(twilio, "CAcli1")
    actors = db.scalars(select(RoutingAudit.actor).where(RoutingAudit.action.like("disaster.%"))).all()
    assert actors == ["cli", "cli"]
