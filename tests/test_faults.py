"""Whole calls while Redis or PostgreSQL fails, hangs or restarts, against real servers.

Each test starts what it breaks: a redis-server of its own on a free port (killed, paused
with SIGSTOP, restarted empty) or a TCP proxy in front of PostgreSQL (refusing, or silent).
The simulator plays Twilio (signed webhooks, queues, a specialist dialling in), and each
test asserts what callers and specialists got: every webhook answered valid TwiML without
a fallback or a spent budget, the caller reached their region's queue in their language,
the specialist took the call, and the call record and survey answers were all kept.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config.settings import Settings
from config.shared_store import RedisStore
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import CallRecord
from ivr.simulator.cli import SimClock
from ivr.simulator.engine import CallerScript, Exchange
from ivr.simulator.engine import Specialist as SimSpecialist
from ivr.simulator.transport import FlaskTransport
from survey.models import SurveyAnswer
from tests.calls import add_specialists
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, _app_for
from tests.fault_servers import RedisServer, TcpProxy
from tests.twilio_helpers import SignedClient, counter_total, spoken, twiml, verbs

NORTH = DEMO_SPECIALISTS["north"]
CALLER = "+18075550123"  # area code 807: region north from caller ID
FRENCH_CALL = ["2", "say:logement", "say:cinq", "say:oui", "1", "3"]  # fr, housing, survey x4
FAST: dict[str, Any] = {"redis_timeout_seconds": 0.2, "breaker_cooldown_seconds": 0.3,
        "webhook_db_timeout_seconds": 0.5}


def ready_again(app: Flask, timeout: float = 10.0) -> bool:
    """Poll /readyz (which probes both dependencies) until both answer again."""
    client = app.test_client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").get_json()["status"] == "ok":
            return True
        time.sleep(0.05)
    return False


class FaultAt(FlaskTransport):
    """The simulator's transport, which breaks something just before a given request."""

    def __init__(self, app: Flask, faults: dict[int, Callable[[], None]]) -> None:
        super().__init__(app, PUBLIC_BASE_URL, AUTH_TOKEN)
        self.faults = faults
        self.paths: list[str] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        fault = self.faults.pop(self.requests, None)
        if fault:
            fault()
        self.paths.append(url)
        return super().post(url, params)


def run_call(app: Flask, clock: SimClock, faults: dict[int, Callable[[], None]] | None = None,
             inputs: list[str] | None = None) -> Exchange:
    transport = FaultAt(app, dict(faults or {}))
    exchange = Exchange(transport, clock.current, clock_sink=clock.set)
    exchange.place_call(CallerScript(CALLER, list(inputs or FRENCH_CALL)),
                        SimSpecialist(NORTH, answer_after=30.0))
    return exchange


class Watch:
    """What the app's counters say happened during one block of calls."""

    def __init__(self) -> None:
        self.fallbacks = counter_total("helpline_webhook_fallbacks_total")
        self.budget = counter_total("helpline_degraded_answers_total", cause="budget")
        self.degraded = counter_total("helpline_degraded_answers_total")

    def no_fallback(self) -> None:
        assert counter_total("helpline_webhook_fallbacks_total") == self.fallbacks
        assert counter_total("helpline_degraded_answers_total", cause="budget") == self.budget

    def degraded_answers(self) -> float:
        return counter_total("helpline_degraded_answers_total") - self.degraded


def assert_french_call_kept(exchange: Exchange, db: Session) -> CallRecord:
    text = exchange.transcript.render()
    assert "caller joins queue 211-north" in text
    assert "the specialist is on the line with the caller" in text
    assert "Êtes-vous satisfait" in text and "Merci de vos réponses" in text
    assert "not registered" not in text and "something went wrong" not in text.lower()
    db.expire_all()
    record = db.scalars(select(CallRecord)).one()
    assert (record.language, record.region, record.provider, record.need) == (
        "fr", "north", "north", "housing")
    assert record.result == "answered" and record.specialist_id is not None
    assert record.ended_at is not None
    rows = db.scalars(select(SurveyAnswer).where(SurveyAnswer.call_sid == record.call_sid)).all()
    assert {r.question: r.value for r in rows} == {
        "satisfaction": "5", "call_again": "yes", "better_prepared": "yes", "consent": "no"}
    assert {(r.language, r.region, r.provider) for r in rows} == {("fr", "north", "north")}
    return record


# -- Redis ------------------------------------------------------------------------------


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def redis_app(settings: Settings, own_redis: RedisServer, clock: SimClock,
              db_url_for_app: str) -> Iterator[Flask]:
    cfg = replace(settings, database_url=db_url_for_app, redis_url=own_redis.url, **FAST)
    store = RedisStore.from_url(own_redis.url, f"fault-{uuid.uuid4().hex}", timeout=0.2)
    yield from _app_for(cfg, store, clock)


@pytest.fixture
def db_url_for_app(database_url: str) -> str:
    return database_url


@pytest.fixture
def fault_db(redis_app: Flask) -> Iterator[Session]:
    session: Session = redis_app.extensions["db_sessionmaker"]()
    add_specialists(session)
    yield session
    session.close()


def test_redis_killed_before_the_call(redis_app: Flask, fault_db: Session, clock: SimClock,
                                      own_redis: RedisServer) -> None:
    watch = Watch()
    own_redis.kill()
    exchange = run_call(redis_app, clock)
    watch.no_fallback()
    assert_french_call_kept(exchange, fault_db)
    assert watch.degraded_answers() > 0  # counted as answered without Redis
    own_redis.start()  # recovery without a restart: the next call uses Redis again
    assert ready_again(redis_app)
    fault_db.query(SurveyAnswer).delete()
    fault_db.query(CallRecord).delete()
    fault_db.commit()
    run_call(redis_app, clock)
    assert not redis_app.extensions["store_breaker"].is_open


def test_redis_restarted_empty_mid_call(redis_app: Flask, fault_db: Session, clock: SimClock,
                                        own_redis: RedisServer) -> None:
    """Language chosen, then Redis comes back empty: the URL carries the call on; the
    status callback (which has no URL state) must not turn the record back to English."""
    watch = Watch()
    exchange = run_call(redis_app, clock, {2: own_redis.restart, 12: own_redis.restart})
    watch.no_fallback()
    record = assert_french_call_kept(exchange, fault_db)
    assert record.caller_hash is not None


def test_redis_paused_during_the_call(redis_app: Flask, fault_db: Session, clock: SimClock,
                                      own_redis: RedisServer) -> None:
    watch = Watch()
    transport_faults = {1: own_redis.pause}
    try:
        exchange = run_call(redis_app, clock, transport_faults)
    finally:
        own_redis.resume()
    watch.no_fallback()
    assert_french_call_kept(exchange, fault_db)


def test_readyz_names_what_is_degraded(redis_app: Flask, own_redis: RedisServer) -> None:
    client = redis_app.test_client()
    assert client.get("/readyz").get_json()["status"] == "ok"
    own_redis.kill()
    resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "degraded" and body["degraded"] == ["redis"]
    assert body["database"] == "ok"
    assert client.get("/healthz").get_json() == {"status": "ok"}


# -- PostgreSQL through a proxy ---------------------------------------------------------


@pytest.fixture
def pg_proxy(database_url: str) -> Iterator[TcpProxy]:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI runs it in the PostgreSQL pass")
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_db_url(database_url: str, pg_proxy: TcpProxy) -> str:
    return make_url(database_url).set(host="127.0.0.1", port=pg_proxy.port).render_as_string(
        hide_password=False)


@pytest.fixture
def pg_app(settings: Settings, clock: SimClock, proxied_db_url: str,
           store: object, database_url: str) -> Iterator[Flask]:
    cfg = replace(settings, database_url=proxied_db_url, **FAST)
    yield from _app_for(cfg, store, clock)  # type: ignore[arg-type]


@pytest.fixture
def direct_db(pg_app: Flask, database_url: str) -> Iterator[Session]:
    """A session that bypasses the proxy: what the database really holds."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    session = sessionmaker(engine)()
    add_specialists(session)
    yield session
    session.close()
    engine.dispose()


@pytest.mark.parametrize("fault", ["refuse", "silent"])
def test_postgres_fails_during_the_call(pg_app: Flask, direct_db: Session, clock: SimClock,
                                        pg_proxy: TcpProxy, fault: str) -> None:
    run_call(pg_app, clock, inputs=["1", "1", "5", "1", "1", "3"])  # warm: rules and roster read
    direct_db.query(SurveyAnswer).delete()
    direct_db.query(CallRecord).delete()
    direct_db.commit()
    watch = Watch()
    writer = pg_app.extensions["durable"]
    exchange = run_call(pg_app, clock, {1: getattr(pg_proxy, fault)})
    watch.no_fallback()
    assert writer.journal.count() > 0  # kept locally while the database was away
    pg_proxy.restore()
    assert writer.wait_drained(timeout=20)
    assert_french_call_kept(exchange, direct_db)
    assert not pg_app.extensions["db_breaker"].is_open


# -- fallback URLs and the specialists' roster -------------------------------------------


def test_voice_fallback_answers_the_safe_route(twilio: SignedClient) -> None:
    root = twiml(twilio.post("/voice/fallback", CallSid="CAfb", From=CALLER, ErrorCode="11200"))
    assert verbs(root) == ["Say", "Enqueue"] and "something went wrong" in spoken(root)


def test_agent_fallback_keeps_a_known_specialist_on_their_queue(
        app: Flask, twilio: SignedClient, db: Session) -> None:
    add_specialists(db)
    first = twiml(twilio.post("/agent/incoming", CallSid="CAa1", From=NORTH))
    assert first.find("Dial/Queue").text == "211-north"  # type: ignore[union-attr]
    root = twiml(twilio.post("/agent/fallback", CallSid="CAa2", From=NORTH))
    assert root.find("Dial/Queue").text == "211-north"  # type: ignore[union-attr]
    unknown = twiml(twilio.post("/agent/fallback", CallSid="CAa3", From="+14165559999"))
    assert verbs(unknown)[-1] == "Hangup" and "not registered" not in spoken(unknown)


def test_specialist_keeps_taking_calls_with_the_database_down(
        app: Flask, twilio: SignedClient, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    add_specialists(db)
    twiml(twilio.post("/agent/incoming", CallSid="CAa1", From=NORTH))  # the roster is read
    app.extensions["db_breaker"].failed("test: the database went away")
    app.extensions["db_breaker"].cooldown = 3600.0
    root = twiml(twilio.post("/agent/incoming", CallSid="CAa2", From=NORTH))
    assert root.find("Dial/Queue").text == "211-north"  # type: ignore[union-attr]
    assert "not registered" not in spoken(root)
    # a worker that starts now knows the specialists from the journal's snapshot
    app.extensions["roster"]._by_phone = None
    root = twiml(twilio.post("/agent/incoming", CallSid="CAa3", From=NORTH))
    assert root.find("Dial/Queue").text == "211-north"  # type: ignore[union-attr]


@pytest.mark.parametrize("fault", ["refuse", "silent"])
def test_a_fresh_worker_keeps_the_callers_language_with_the_database_down(
        pg_app: Flask, pg_proxy: TcpProxy, fault: str) -> None:
    """Rules loaded once, then the database goes: the bulletins (never read by this worker)
    fall back to none, and the caller still gets the French menu they chose."""
    caller = SignedClient(pg_app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
    twiml(caller.post("/voice/incoming", CallSid="CAdown", From=CALLER))  # the one good load
    getattr(pg_proxy, fault)()
    watch = Watch()
    root = twiml(caller.post("/voice/language", CallSid="CAdown", From=CALLER, Digits="2"))
    watch.no_fallback()
    assert root.find("Gather").get("language") == "fr-CA"  # type: ignore[union-attr]
    assert "something went wrong" not in spoken(root).lower()


def test_published_bulletins_and_rules_stand_with_redis_killed(
        redis_app: Flask, fault_db: Session, clock: SimClock, own_redis: RedisServer) -> None:
    """The version counters are unreadable: the worker's last good copies are served."""
    from datetime import timedelta

    from routing.bulletins import bulletins_changed
    from routing.models import Bulletin

    fault_db.add(Bulletin(title="Ice", text_en="Ice storm: warming centres are open.",
                          text_fr="Tempête de verglas.", starts_at=clock.current - timedelta(minutes=1),
                          ends_at=None, regions=[]))
    fault_db.commit()
    bulletins_changed(redis_app.extensions["store"])
    caller = SignedClient(redis_app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)
    caller.post("/voice/incoming", CallSid="CAr1", From=CALLER)
    assert "Ice storm" in spoken(twiml(caller.post("/voice/language", CallSid="CAr1", Digits="1")))
    own_redis.kill()
    watch = Watch()
    menu = twiml(caller.post("/voice/incoming", CallSid="CAr2", From=CALLER))
    action = menu.find("Gather").get("action")  # type: ignore[union-attr]  # the call's facts ride here
    root = twiml(caller.post(str(action), CallSid="CAr2", From=CALLER, Digits="1"))
    watch.no_fallback()
    assert "Ice storm: warming centres are open." in spoken(root)
    assert root.find("Gather") is not None and "something went wrong" not in spoken(root).lower()
