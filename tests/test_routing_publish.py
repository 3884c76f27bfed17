"""Publish, roll back, audit; the IVR routes with the published set; several workers agree."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from config.database import Base
from config.ontario import data_files
from config.settings import Settings
from config.shared_store import RedisStore, SharedStore
from ivr.calls import load_call
from ivr.models import CallRecord
from ivr.simulator.cli import SimClock
from routing.engine.decision import CallContext
from routing.service import route
from routing.store.bulletins import bulletins_changed
from routing.store.models import Bulletin, RoutingAudit, RuleSetVersion
from routing.store.queue_figures import QueueFigures
from routing.store.versions import (
    PublishRefused,
    draft_document,
    list_versions,
    publish,
    rollback,
    rules_changed,
    save_draft,
    seed,
)
from tests.twilio_helpers import SignedClient, spoken, twiml

NORTH_CALLER = "+18075550123"


def publish_doc(db: Session, store: SharedStore, clock: SimClock, doc: dict[str, Any],
                actor: str = "admin@example.org") -> RuleSetVersion:
    """As a view does: the domain call, one commit, then every worker told."""
    save_draft(db, doc, actor, clock.current)
    version = publish(db, data_files(), actor, clock.current, note="test")
    db.commit()
    rules_changed(store)
    return version


def seeded(db: Session, store: SharedStore, clock: SimClock) -> RuleSetVersion:
    version = seed(db, clock.current)
    db.commit()
    rules_changed(store)
    return version


def rolled_back(db: Session, store: SharedStore, clock: SimClock, number: int,
                actor: str = "admin@example.org") -> RuleSetVersion:
    version = rollback(db, data_files(), number, actor, clock.current)
    db.commit()
    rules_changed(store)
    return version


def north_to(db: Session, provider: str) -> dict[str, Any]:
    doc, _base = draft_document(db)
    next(r for r in doc["rules"] if r["id"] == "north-in-hours")["then"]["provider"] = provider
    return doc


def route_now(app: Flask, **ctx: Any) -> Any:
    with app.test_request_context():
        return route(CallContext(**{"region": "north", **ctx}))


def reach_queue(twilio: SignedClient, sid: str, number: str = NORTH_CALLER) -> Any:
    twilio.post("/voice/incoming", CallSid=sid, From=number)
    twilio.post("/voice/language", CallSid=sid, Digits="1")
    return twiml(twilio.post("/voice/need", CallSid=sid, Digits="1"))


def queue_name(root: Any) -> str:
    return next(el.text for el in root.iter("Enqueue"))


# --- seed, publish, rollback, audit ---------------------------------------------------------

def test_first_use_seeds_the_default_set_as_version_1(app: Flask, db: Session) -> None:
    assert db.scalar(select(RuleSetVersion)) is None
    decision = route_now(app)
    assert decision.provider == "north" and decision.trace[0]["version"] == 1
    versions = list_versions(db)
    assert [v.number for v in versions] == [1] and versions[0].published_by == "system"


def test_seed_is_idempotent(app: Flask, db: Session, store: SharedStore, clock: SimClock) -> None:
    first = seeded(db, store, clock)
    again = seeded(db, store, clock)
    assert first.number == again.number == 1
    assert len(list_versions(db)) == 1


def test_publish_changes_the_next_decision(app: Flask, db: Session, store: SharedStore,
                                           clock: SimClock) -> None:
    assert route_now(app).provider == "north"
    version = publish_doc(db, store, clock, north_to(db, "east"))
    assert version.number == 2
    decision = route_now(app)
    assert decision.provider == "east" and decision.trace[0]["version"] == 2


def test_invalid_draft_is_refused_and_nothing_changes(app: Flask, db: Session, store: SharedStore,
                                                      clock: SimClock) -> None:
    route_now(app)
    doc = north_to(db, "nowhere")
    save_draft(db, doc, "admin@example.org", clock.current)
    with pytest.raises(PublishRefused) as refused:
        publish(db, data_files(), "admin@example.org", clock.current)
    assert "rule 'north-in-hours' enqueues at unknown provider 'nowhere'" in str(refused.value)
    assert [v.number for v in list_versions(db)] == [1]
    assert route_now(app).provider == "north"


def test_published_versions_never_change(app: Flask, db: Session, store: SharedStore,
                                         clock: SimClock) -> None:
    version = seeded(db, store, clock)
    version.note = "rewritten"
    with pytest.raises(ValueError, match="published and cannot change"):
        db.commit()
    db.rollback()


def test_rollback_publishes_a_copy_of_an_earlier_version(app: Flask, db: Session,
                                                         store: SharedStore, clock: SimClock) -> None:
    seeded(db, store, clock)
    publish_doc(db, store, clock, north_to(db, "east"))
    assert route_now(app).provider == "east"
    back = rolled_back(db, store, clock, 1, "admin@example.org")
    assert (back.number, back.source_number) == (3, 1)
    assert route_now(app).provider == "north"
    assert [v.number for v in list_versions(db)] == [3, 2, 1]
    second = db.scalar(select(RuleSetVersion).where(RuleSetVersion.number == 2))
    assert second is not None and second.document != back.document
    with pytest.raises(LookupError):
        rolled_back(db, store, clock, 42, "admin@example.org")


def test_every_change_is_audited_with_who_when_and_a_diff(app: Flask, db: Session,
                                                          store: SharedStore, clock: SimClock) -> None:
    seeded(db, store, clock)
    clock.set(clock.current + timedelta(minutes=5))
    publish_doc(db, store, clock, north_to(db, "east"), actor="ana@example.org")
    rolled_back(db, store, clock, 1, "ben@example.org")
    entries = db.scalars(select(RoutingAudit).order_by(RoutingAudit.id)).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("seed", "system"), ("draft.save", "ana@example.org"), ("publish", "ana@example.org"),
        ("rollback", "ben@example.org")]
    change = {"path": "rules[north-in-hours].then.provider", "before": "north", "after": "east"}
    assert entries[1].changes == [change] and entries[2].changes == [change]
    assert entries[3].changes == [{**change, "before": "east", "after": "north"}]
    assert entries[2].at == clock.current


def test_reordering_rules_is_audited(app: Flask, db: Session, store: SharedStore,
                                     clock: SimClock) -> None:
    seeded(db, store, clock)
    doc, _ = draft_document(db)
    doc["rules"][1], doc["rules"][2] = doc["rules"][2], doc["rules"][1]
    save_draft(db, doc, "ana@example.org", clock.current)
    entry = db.scalars(select(RoutingAudit).order_by(RoutingAudit.id.desc())).first()
    assert entry is not None and [c["path"] for c in entry.changes] == ["rules order"]


# --- the IVR with the published set ---------------------------------------------------------

@pytest.fixture
def specialists(db: Session) -> None:
    from tests.calls import add_specialists

    add_specialists(db)


def test_ivr_routes_with_the_published_set_and_stores_the_trace(
        app: Flask, twilio: SignedClient, db: Session, store: SharedStore, clock: SimClock) -> None:
    seeded(db, store, clock)
    publish_doc(db, store, clock, north_to(db, "east"))
    assert queue_name(reach_queue(twilio, "CA1")) == "211-east"
    record = db.scalar(select(CallRecord).where(CallRecord.call_sid == "CA1"))
    assert record is not None and record.provider == "east"
    assert record.routing_trace is not None
    assert record.routing_trace[0]["version"] == 2
    assert record.routing_trace[-1] == {"rule": "north-in-hours", "matched": True,
                                        "why": "enqueue at east"}


def test_publishing_changes_the_next_call_not_calls_in_progress(
        app: Flask, twilio: SignedClient, db: Session, store: SharedStore, clock: SimClock) -> None:
    assert queue_name(reach_queue(twilio, "CAold")) == "211-north"
    doc = north_to(db, "central")
    next(p for p in doc["providers"] if p["id"] == "north")["overflow"] = "central_south"
    publish_doc(db, store, clock, doc)
    with app.test_request_context():
        call = load_call("CAold")
    assert (call.provider, call.overflow_provider, call.max_wait_seconds) == ("north", "east", 600)
    hold = twiml(twilio.post("/voice/hold", CallSid="CAold", QueueTime="30"))
    assert "Leave" not in [el.tag for el in hold]
    left = twiml(twilio.post("/voice/hold", CallSid="CAold", QueueTime="601"))
    assert [el.tag for el in left] == ["Leave"]
    overflow = twiml(twilio.post("/voice/queue-result", CallSid="CAold", QueueResult="leave"))
    assert queue_name(overflow) == "211-east"  # what was decided, not the new set's overflow
    assert queue_name(reach_queue(twilio, "CAnew")) == "211-central"


def test_message_and_transfer_actions_in_the_ivr(app: Flask, twilio: SignedClient, db: Session,
                                                 store: SharedStore, clock: SimClock) -> None:
    doc, _ = draft_document(db)
    doc["rules"][:0] = [
        {"id": "notice", "when": {"regions": ["north"]},
         "then": {"type": "message", "text_en": "Roads are closed near Kenora.",
                  "text_fr": "Routes fermées près de Kenora."}},
        {"id": "food-line", "when": {"needs": ["food"]},
         "then": {"type": "transfer", "number": "+18075550199"}},
    ]
    publish_doc(db, store, clock, doc)
    root = reach_queue(twilio, "CAmsg")
    assert "Roads are closed near Kenora." in spoken(root)
    assert [el.text for el in root.iter("Number")] == ["+18075550199"]
    record = db.scalar(select(CallRecord).where(CallRecord.call_sid == "CAmsg"))
    assert record is not None and record.result == "transferred"
    assert record.routing_trace is not None
    assert [s["rule"] for s in record.routing_trace if s["matched"]][-2:] == ["notice", "food-line"]


def test_route_survives_a_database_failure_with_the_last_set(app: Flask, db: Session,
                                                             store: SharedStore, clock: SimClock,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert route_now(app).provider == "north"

    def down(*_a: object, **_k: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr("routing.store.published.latest_version", down)
    store.incr("routing:rules:version")  # force a reload attempt
    assert route_now(app).provider == "north"


def test_fresh_worker_with_database_down_uses_the_built_in_set(app: Flask,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_a: object, **_k: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr("routing.store.published.latest_version", down)
    decision = route_now(app)
    assert decision.provider == "north" and decision.trace[0]["version"] is None


def test_published_providers_are_used_by_the_ivr(app: Flask, twilio: SignedClient, db: Session,
                                                 store: SharedStore, clock: SimClock) -> None:
    doc, _ = draft_document(db)
    doc["providers"].append({"id": "kenora", "name": "Kenora pop-up centre", "city": "Kenora",
                             "queue": "211-kenora", "languages": ["en"], "overflow": "north",
                             "max_wait_seconds": 300})
    next(r for r in doc["rules"] if r["id"] == "north-in-hours")["then"]["provider"] = "kenora"
    publish_doc(db, store, clock, doc)
    root = reach_queue(twilio, "CAk")
    assert queue_name(root) == "211-kenora" and "Kenora pop-up centre" in spoken(root)


# --- several workers sharing one Redis ------------------------------------------------------

@pytest.fixture
def two_workers(settings: Settings, redis_url: str, clock: SimClock) -> Iterator[tuple[Flask, Flask]]:
    """Two app instances (as two gunicorn workers) on one database and one Redis namespace."""
    import uuid

    namespace = f"test-workers-{uuid.uuid4().hex}"
    shared = replace(settings, redis_url=redis_url)
    apps = tuple(create_app(shared, store=RedisStore.from_url(redis_url, namespace), clock=clock)
                 for _ in range(2))
    if shared.is_sqlite:
        Base.metadata.create_all(apps[0].extensions["db_engine"])
    yield apps  # type: ignore[misc]
    client = apps[0].extensions["store"].client
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    for worker in apps:
        worker.extensions["db_engine"].dispose()


def signed(app: Flask) -> SignedClient:
    from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

    return SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)


def test_publish_on_one_worker_reaches_the_next_call_on_another(
        two_workers: tuple[Flask, Flask], clock: SimClock) -> None:
    first, second = two_workers
    assert queue_name(reach_queue(signed(second), "CA1")) == "211-north"  # second caches v1
    with first.app_context():
        db = first.extensions["db_sessionmaker"]()
        publish_doc(db, first.extensions["store"], clock, north_to(db, "east"))
        db.close()
    assert queue_name(reach_queue(signed(second), "CA2")) == "211-east"


def test_bulletin_written_on_one_worker_plays_on_another(two_workers: tuple[Flask, Flask],
                                                         clock: SimClock) -> None:
    first, second = two_workers
    caller = signed(second)
    caller.post("/voice/incoming", CallSid="CA1", From=NORTH_CALLER)
    before = spoken(twiml(caller.post("/voice/language", CallSid="CA1", Digits="1")))
    assert "Ice storm" not in before  # the second worker has now cached "no bulletins"
    db = first.extensions["db_sessionmaker"]()
    db.add(Bulletin(title="Ice", text_en="Ice storm: warming centres are open.",
                    text_fr="Tempête de verglas : haltes-chaleur ouvertes.",
                    starts_at=clock.current - timedelta(minutes=1), ends_at=None, regions=[]))
    db.commit()
    db.close()
    bulletins_changed(first.extensions["store"])
    caller.post("/voice/incoming", CallSid="CA2", From=NORTH_CALLER)
    after = spoken(twiml(caller.post("/voice/language", CallSid="CA2", Digits="1")))
    assert "Ice storm: warming centres are open." in after


def test_queue_figures_stay_exact_under_concurrent_workers(two_workers: tuple[Flask, Flask],
                                                           clock: SimClock) -> None:
    stores = [worker.extensions["store"] for worker in two_workers]
    per_thread, threads = 50, 4

    def churn(index: int) -> None:
        figures = QueueFigures(stores[index % 2])
        for n in range(per_thread):
            sid = f"CA{index}-{n}"
            figures.caller_enqueued("north", sid, 1000.0 + n)
            if n % 2:
                figures.caller_left("north", sid, waited=10.0)
            figures.specialist_signed_in("north", f"AG{index}-{n}", 1000.0)
            figures.specialist_signed_out("north", f"AG{index}-{n}")

    workers = [threading.Thread(target=churn, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for store in stores:  # both workers read the same, exact figures
        snapshot = QueueFigures(store).snapshot("north", 2000.0)
        assert snapshot.waiting == threads * per_thread // 2
        assert snapshot.specialists == 0
        assert snapshot.average_wait == 10.0
        assert snapshot.longest_wait == 1000.0


def test_live_condition_reads_figures_fed_by_another_worker(
        two_workers: tuple[Flask, Flask], clock: SimClock) -> None:
    first, second = two_workers
    with first.app_context():
        db = first.extensions["db_sessionmaker"]()
        doc, _ = draft_document(db)
        doc["rules"].insert(0, {"id": "north-busy", "when": {"regions": ["north"], "queue": "north",
                                                             "waiting_at_least": 2},
                                "then": {"type": "enqueue", "provider": "east"}})
        publish_doc(db, first.extensions["store"], clock, doc)
        db.close()
    figures = QueueFigures(first.extensions["store"])
    figures.caller_enqueued("north", "CAa", clock.current.timestamp())
    assert route_now(second).provider == "north"
    figures.caller_enqueued("north", "CAb", clock.current.timestamp())
    decision = route_now(second)
    assert decision.provider == "east"
    assert json.dumps(decision.trace[1]) == json.dumps(
        {"rule": "north-busy", "matched": True, "why": "enqueue at east"})


def test_publish_moment_is_stored_as_utc(app: Flask, db: Session, store: SharedStore,
                                         clock: SimClock) -> None:
    clock.set(datetime.fromisoformat("2026-11-23T10:00:00-05:00"))
    version = seeded(db, store, clock)
    db.expire_all()
    stored = db.scalar(select(RuleSetVersion).where(RuleSetVersion.number == version.number))
    assert stored is not None and stored.published_at == clock.current


def test_geography_edits_and_new_regions_reach_the_ivr(app: Flask, twilio: SignedClient, db: Session,
                                                       store: SharedStore, clock: SimClock) -> None:
    doc, _ = draft_document(db)
    doc["regions"].append({"id": "muskoka", "name_en": "211 Muskoka", "name_fr": "211 Muskoka",
                           "provider": "central_east"})
    doc["geography"]["exchanges"] = {"705-555": "muskoka"}
    doc["rules"].insert(0, {"id": "muskoka", "when": {"regions": ["muskoka"]},
                            "then": {"type": "enqueue", "provider": "central_east"}})
    publish_doc(db, store, clock, doc)
    assert queue_name(reach_queue(twilio, "CAm", "+17055550123")) == "211-central-east"
    record = db.scalar(select(CallRecord).where(CallRecord.call_sid == "CAm"))
    assert record is not None and record.region == "muskoka"


def test_explain_cli_prints_the_decision_as_json(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["routing", "explain", "--from", "+17055550123", "--at",
                                 "2026-12-25T03:00", "--language", "fr", "--need", "housing",
                                 "--region", "north"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["call"]["region"] == "north" and data["call"]["region_source"] == "given"
    assert data["decision"]["provider"] == "after_hours"
    assert data["matched_rule"] == "after-hours"
    assert "statutory holiday: Christmas Day" in data["decision"]["trace"][0]["why"]
    seeded = runner.invoke(args=["routing", "seed"])
    assert seeded.exit_code == 0 and "version 1" in seeded.output
    published = runner.invoke(args=["routing", "explain", "--from", "+18075550123", "--at",
                                    "2026-11-24T11:00", "--rules", "published"])
    assert json.loads(published.output)["decision"]["provider"] == "north"
    bad = runner.invoke(args=["routing", "explain", "--at", "tomorrow"])
    assert bad.exit_code != 0 and "not a time" in bad.output
