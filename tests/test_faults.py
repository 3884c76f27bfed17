"""Crowds of whole calls while Redis or PostgreSQL fails, hangs or restarts, or a worker dies.

Each test starts what it breaks: a redis-server of its own on a free port (killed, paused
with SIGSTOP, restarted empty), a TCP proxy in front of PostgreSQL (refusing, or silent),
or gunicorn with several workers (one SIGKILLed). The simulator plays Twilio: several
callers at once (`ivr.simulator.crowd`), each call walking the whole flow (menus, queue,
hold, a specialist dialling in, the bridge, the survey, status callbacks), while the fault
comes and goes at set points of the crowd's requests. Each test asserts what callers and
specialists got and what was kept (`tests.crowd_checks.audit`): every webhook answered
valid TwiML, with no fallback and no spent budget; every caller in their region's queue
and their language, taken by a specialist; one closed, correct call record per call and
every survey answer given; and, once the fault is gone, clean calls again without a restart.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from config.database import Base
from config.pseudonym import CallerHasher
from config.settings import Settings
from config.shared_store import RedisStore
from ivr.cli import DEMO_SPECIALISTS, demo_staff
from ivr.models import CallRecord, Specialist
from ivr.simulator.cli import SimClock
from ivr.simulator.crowd import Crowd, Placed
from ivr.simulator.engine import CallerScript, Exchange
from ivr.simulator.engine import Specialist as SimSpecialist
from ivr.simulator.surge_queue import SurgeQueue
from ivr.simulator.transport import FlaskTransport, HttpTransport
from survey.hook import thanks
from survey.models import SurveyAnswer
from tests.calls import add_specialists
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, TORONTO, _app_for
from tests.crowd_checks import PLANS, audit, queue_of
from tests.fault_servers import Gunicorn, RedisServer, TcpProxy
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
    """The simulator's transport, which breaks something just before a given request (by
    its number in the call, or the first request to a given path)."""

    def __init__(self, app: Flask, faults: dict[int | str, Callable[[], object]]) -> None:
        super().__init__(app, PUBLIC_BASE_URL, AUTH_TOKEN)
        self.faults = faults
        self.paths: list[str] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        fault = self.faults.pop(self.requests, None) or self.faults.pop(url.split("?")[0], None)
        if fault:
            fault()
        self.paths.append(url)
        return super().post(url, params)


def run_call(app: Flask, clock: SimClock,
             faults: dict[int | str, Callable[[], None]] | None = None,
             inputs: list[str] | None = None) -> Exchange:
    transport = FaultAt(app, dict(faults or {}))
    exchange = Exchange(transport, clock.current, clock_sink=clock.set)
    app.extensions["twilio_client_factory"] = lambda: exchange.rest  # Twilio's REST API, played
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


CALLERS, CALLS_EACH = 6, 3  # 18 whole calls, six in flight at once


class Faults:
    """Breaks and mends servers at set request counts of a crowd (from whichever caller's
    thread reaches the count), so the fault starts and ends while calls are mid-flow."""

    def __init__(self, steps: dict[int, Callable[[], object]]) -> None:
        self.steps = dict(steps)
        self.done: list[int] = []

    def __call__(self, count: int) -> None:
        step = self.steps.pop(count, None)
        if step is not None:
            step()
            self.done.append(count)


def in_process_crowd(app: Flask, clock: SimClock, faults: Faults | None = None) -> Crowd:
    """Callers against the in-process app at the tests' frozen Monday 10:00 (in hours).
    Each crowd call plays its own Exchange (its own queue and specialist), so the app runs
    the queue bridge here: a conference claim would take another exchange's caller."""
    app.extensions["settings"] = replace(app.extensions["settings"], call_bridge="queue")
    return Crowd(lambda: FlaskTransport(app, PUBLIC_BASE_URL, AUTH_TOKEN), PLANS, demo_staff(),
                 lambda: clock.current, on_request=faults)


def assert_crowd_kept(calls: list[Placed], db: Session, in_hours: bool = True) -> None:
    """Every call reached a specialist on its region's queue, in its language, and all it
    produced (a closed, correct record; every survey answer) is in the database."""
    db.expire_all()
    result = audit(calls, db)
    assert result.clean(), result.report()
    assert result.placed == len(calls)
    assert result.answers_kept == sum(c.plan.answers for c in calls) > 0
    if in_hours:  # in hours each region's own provider answers
        assert all(c.queues == [queue_of(c.plan.region)] for c in calls), [c.queues for c in calls]


def recovers(app: Flask, db: Session, clock: SimClock) -> None:
    """Once the fault is gone: both dependencies answer, and new calls are clean, with no
    degraded answer at all (nothing was restarted)."""
    assert ready_again(app)
    watch = Watch()
    calls = in_process_crowd(app, clock).run(3, 1)
    watch.no_fallback()
    assert watch.degraded_answers() == 0
    assert_crowd_kept(calls, db)
    assert not app.extensions["store_breaker"].is_open
    assert not app.extensions["db_breaker"].is_open


# -- Redis ------------------------------------------------------------------------------


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


def test_redis_killed_and_back_empty_during_a_crowd(
        redis_app: Flask, fault_db: Session, clock: SimClock, own_redis: RedisServer) -> None:
    watch = Watch()
    faults = Faults({20: own_redis.kill, 150: own_redis.start})  # back with no data at all
    calls = in_process_crowd(redis_app, clock, faults).run(CALLERS, CALLS_EACH)
    assert faults.done == [20, 150]
    watch.no_fallback()
    assert watch.degraded_answers() > 0  # counted as answered without Redis
    assert_crowd_kept(calls, fault_db)
    recovers(redis_app, fault_db, clock)


def test_redis_restarted_empty_mid_call(redis_app: Flask, fault_db: Session, clock: SimClock,
                                        own_redis: RedisServer) -> None:
    """Language chosen, then Redis comes back empty: the URL carries the call on; the
    status callback (which has no URL state) must not turn the record back to English."""
    watch = Watch()
    exchange = run_call(redis_app, clock, {2: own_redis.restart, 12: own_redis.restart})
    watch.no_fallback()
    record = assert_french_call_kept(exchange, fault_db)
    assert record.caller_hash is not None


def test_redis_restarted_empty_while_the_caller_waits(
        redis_app: Flask, fault_db: Session, clock: SimClock, own_redis: RedisServer) -> None:
    """The session (and the live call) is gone when the caller is brought to their
    conference: the join takes the caller's facts from the URL and the call record (so they
    hear French), and the session it saves, rebuilt from nothing, must not pass for a real
    one when the status callback closes the record."""
    watch = Watch()
    exchange = run_call(redis_app, clock, {"/voice/join": own_redis.restart})
    watch.no_fallback()
    assert "Nous vous mettons en lien avec un spécialiste." in exchange.transcript.render()
    assert "Connecting you with a specialist now." not in exchange.transcript.render()
    assert_french_call_kept(exchange, fault_db)


def test_redis_paused_during_a_crowd(redis_app: Flask, fault_db: Session, clock: SimClock,
                                     own_redis: RedisServer) -> None:
    watch = Watch()
    faults = Faults({20: own_redis.pause, 150: own_redis.resume})  # accepts, answers nothing
    try:
        calls = in_process_crowd(redis_app, clock, faults).run(CALLERS, CALLS_EACH)
    finally:
        own_redis.resume()
    assert faults.done == [20, 150]
    watch.no_fallback()
    assert watch.degraded_answers() > 0
    assert_crowd_kept(calls, fault_db)
    recovers(redis_app, fault_db, clock)


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
def pg_app(settings: Settings, clock: SimClock, proxied_db_url: str,
           store: object, database_url: str) -> Iterator[Flask]:
    cfg = replace(settings, database_url=proxied_db_url, **FAST)
    yield from _app_for(cfg, store, clock)  # type: ignore[arg-type]


@pytest.fixture
def direct_db(pg_app: Flask, database_url: str) -> Iterator[Session]:
    """A session that bypasses the proxy: what the database really holds."""
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    session = sessionmaker(engine)()
    add_specialists(session)
    yield session
    session.close()
    engine.dispose()


@pytest.mark.parametrize("fault", ["refuse", "silent"])
def test_postgres_fails_during_a_crowd(pg_app: Flask, direct_db: Session, clock: SimClock,
                                       pg_proxy: TcpProxy, fault: str) -> None:
    in_process_crowd(pg_app, clock).run(1, 1)  # warm: rules and roster read
    direct_db.query(SurveyAnswer).delete()
    direct_db.query(CallRecord).delete()
    direct_db.commit()
    watch = Watch()
    writer = pg_app.extensions["durable"]
    journaled: list[int] = []

    def restore() -> None:
        journaled.append(writer.journal.count())
        pg_proxy.restore()  # calls are still in flight: the journal drains while they go on

    faults = Faults({20: getattr(pg_proxy, fault), 180: restore})
    calls = in_process_crowd(pg_app, clock, faults).run(CALLERS, CALLS_EACH)
    assert faults.done == [20, 180]
    watch.no_fallback()
    assert journaled[0] > 0  # kept locally while the database was away
    assert writer.wait_drained(timeout=30)
    assert_crowd_kept(calls, direct_db)
    recovers(pg_app, direct_db, clock)


# -- gunicorn: a worker killed mid-flow -----------------------------------------------------


@pytest.fixture
def served(database_url: str, own_redis: RedisServer, tmp_path: Path) -> Iterator[Gunicorn]:
    """The app under real gunicorn (3 workers x 4 threads, preloaded as in production) on
    the test's database and a redis-server of its own, the demo specialists registered."""
    engine = create_engine(make_url(database_url).set(
        drivername="postgresql+psycopg" if database_url.startswith("postgresql") else "sqlite"))
    Base.metadata.create_all(engine)
    with sessionmaker(engine)() as db:
        add_specialists(db)
    engine.dispose()
    server = Gunicorn("app:create_app()", {}, workers=3, threads=4)
    server.env = {
        "DATABASE_URL": database_url, "REDIS_URL": own_redis.url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": server.url, "SECRET_KEY": "test-secret-key-for-sessions",
        "CALLER_HASH_KEY": "test-caller-hash-key-0123", "CALLER_HASH_COST": "10",
        "JOURNAL_PATH": str(tmp_path / "journal.sqlite3"), "SEARCH_WARM_START": "0",
        # Each crowd call plays its own Exchange, whose REST API the server cannot reach: the
        # queue bridge (the conference bridge is covered in-process, tests/test_conference_*).
        "CALL_BRIDGE": "queue"}
    yield server.start()
    server.stop()


def http_crowd(server: Gunicorn, faults: Faults | None = None) -> Crowd:
    """Callers over HTTP, with Twilio's behaviour when a request gets no answer: the
    number's fallback URL for TwiML, one retry for a status callback."""
    return Crowd(lambda: HttpTransport(server.url, AUTH_TOKEN), PLANS, demo_staff(),
                 lambda: datetime.now(TORONTO), on_request=faults)


def test_a_worker_killed_mid_flow(served: Gunicorn, database_url: str) -> None:
    """Two of three workers SIGKILLed while calls are in flight on them. A request the
    dying worker held gets no answer, and Twilio asks the fallback URL (or retries a status
    callback); everything else carries on on the other workers. Nothing is lost beyond those
    requests: every call still reaches a person, every call has its closed record, and the
    calls none of whose requests were cut are kept exactly."""
    faults = Faults({40: served.kill_worker, 160: served.kill_worker})
    calls = http_crowd(served, faults).run(CALLERS, CALLS_EACH)
    assert faults.done == [40, 160] and served.killed == 2
    assert all("got no answer" in f for c in calls for f in c.failures), [
        c.failures for c in calls if c.failures]
    assert sum(len(c.failures) for c in calls) <= 2 * served.threads  # only what was in flight
    engine = create_engine(make_url(database_url).set(
        drivername="postgresql+psycopg" if database_url.startswith("postgresql") else "sqlite"))
    with sessionmaker(engine)() as db:
        whole = audit(calls, db)
        assert whole.broken == 0 and whole.dropped == 0, whole.problems  # all reached a person
        assert whole.records_missing == 0, whole.problems
        assert_crowd_kept([c for c in calls if not c.failures], db, in_hours=False)
        assert served.wait_workers()  # the master replaced them; no restart by anyone
        after = http_crowd(served).run(3, 1)
        assert_crowd_kept(after, db, in_hours=False)
    engine.dispose()


# -- fallback URLs and the specialists' roster -------------------------------------------


def test_voice_fallback_answers_the_safe_route(twilio: SignedClient) -> None:
    root = twiml(twilio.post("/voice/fallback", CallSid="CAfb", From=CALLER, ErrorCode="11200"))
    assert verbs(root) == ["Say", "Enqueue"] and "something went wrong" in spoken(root)


def test_voice_fallback_keeps_the_callers_language_from_the_failed_url(
        twilio: SignedClient) -> None:
    """A request our server never answered (a worker killed mid-request): Twilio asks the
    fallback URL with `ErrorUrl`, our own action URL with the call's facts."""
    failed = f"{PUBLIC_BASE_URL}/voice/need?l=fr&r=east&rs=caller_id&attempt=1"
    root = twiml(twilio.post("/voice/fallback", CallSid="CAfb2", From=CALLER, ErrorCode="11200",
                             ErrorUrl=failed))
    assert verbs(root) == ["Say", "Enqueue"] and "un problème est survenu" in spoken(root)
    action = root.find("Enqueue").get("action", "")  # type: ignore[union-attr]
    assert "l=fr" in action and "r=east" in action


def test_agent_fallback_keeps_a_known_specialist_on_their_queue(
        app: Flask, twilio: SignedClient, db: Session) -> None:
    add_specialists(db)
    first = twiml(twilio.post("/agent/incoming", CallSid="CAa1", From=NORTH))
    assert verbs(first)[-2:] == ["Pause", "Redirect"]  # on duty, waiting for a caller
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
    assert waiting_for_a_caller(root)  # nobody in line: they wait and look again (a claim
    assert "not registered" not in spoken(root)  # needs no database)
    # a worker that starts now knows the specialists from the journal's snapshot
    app.extensions["roster"]._by_phone = None
    root = twiml(twilio.post("/agent/incoming", CallSid="CAa3", From=NORTH))
    assert waiting_for_a_caller(root)


def waiting_for_a_caller(root: ET.Element) -> bool:
    """The specialist's answer with nobody in line: on the conference bridge a pause and a
    look again; on the queue bridge Twilio's <Dial><Queue> on their provider's queue."""
    redirect = root.find("Redirect")
    if redirect is not None:
        return root.find("Pause") is not None and urllib.parse.urlsplit(
            redirect.text or "").path == "/agent/idle"
    dialled = root.find("Dial/Queue")
    return dialled is not None and dialled.text == "211-north"


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

    from routing.store.bulletins import bulletins_changed
    from routing.store.models import Bulletin

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


def test_first_dial_ins_wait_for_the_first_read_of_the_roster(app: Flask, db: Session) -> None:
    """Specialists dialling in together right after a start: one reads the roster, and the
    others must wait for it, not answer from no roster at all ("cannot check this line")."""
    add_specialists(db)
    roster = app.extensions["roster"]
    reading = threading.Event()

    def another_dial_in_reads_the_roster() -> None:
        with roster._lock:  # as `_refresh_if_due` holds it while it reads
            reading.set()
            time.sleep(0.3)

    other = threading.Thread(target=another_dial_in_reads_the_roster)
    other.start()
    reading.wait()
    found = roster.lookup(NORTH)
    other.join()
    assert found.sure and found.specialist is not None, found


class CountingHasher(CallerHasher):
    """The app's own hasher, counting the slow hashes it makes."""

    made: ClassVar[list[str]] = []

    def digest_for_period(self, number: str, period: int) -> str:
        CountingHasher.made.append(number)
        return super().digest_for_period(number, period)


def test_without_the_store_the_slow_pseudonym_is_made_only_for_the_record(
        app: Flask, twilio: SignedClient, db: Session) -> None:
    """With the session store away every webhook rebuilds the call from its URL; the
    caller's pseudonym (scrypt, tens of ms) must not be made again on each of them (that
    doubled the CPU of a call in the surge bench), only where a call record is written."""
    app.extensions["store_breaker"].failed("test: Redis went away")
    app.extensions["store_breaker"].cooldown = 3600.0
    hasher = app.extensions["caller_hasher"]
    app.extensions["caller_hasher"] = CountingHasher(hasher.key, hasher.period_days, hasher.cost)
    CountingHasher.made.clear()
    state = "l=fr&r=north&n=housing&p=north"
    for path in (f"/voice/hold?{state}", f"/voice/queue-result?{state}"):
        twiml(twilio.post(path, CallSid="CAlazy", From=CALLER, QueuePosition="1",
                          QueueTime="30", QueueResult="bridged"))
    assert CountingHasher.made == []
    twiml(twilio.post("/voice/status", CallSid="CAlazy", From=CALLER, CallStatus="completed",
                      CallDuration="200"))
    assert len(CountingHasher.made) == 1
    record = db.scalars(select(CallRecord).where(CallRecord.call_sid == "CAlazy")).one()
    assert record.caller_hash is not None


def test_survey_fallback_says_goodbye_in_the_callers_language(app: Flask) -> None:
    with app.test_request_context("/survey/answer?l=fr&q=consent"):
        root = ET.fromstring(str(thanks()))  # noqa: S314 - our own TwiML
    assert "Au revoir" in spoken(root) and "Goodbye" not in spoken(root)


# -- the conference bridge: many callers and specialists on one line, through a fault ---------

SURGE_CALLERS = 24
SURGE_SPECIALISTS = [f"+1807555{7400 + i}" for i in range(4)]


def conference_surge(app: Flask, db: Session, clock: SimClock,
                     faults: dict[int | str, Callable[[], object]]) -> SurgeQueue:
    """North callers (807, English, housing) arriving every 15 s, four north specialists
    on the conference bridge (claims, REST redirects, wakes, idle looks), all in one shared
    simulated network (`SurgeQueue`), with the fault at set points of its requests."""
    for phone in SURGE_SPECIALISTS:
        db.add(Specialist(name=f"North {phone[-2:]}", phone=phone, provider="north",
                          languages="en,fr"))
    db.commit()
    sim = SurgeQueue(FaultAt(app, faults), clock.current, clock.set, seed=7, talk_mean=120.0)
    app.extensions["twilio_client_factory"] = lambda: sim.rest
    for i in range(SURGE_CALLERS):
        sim.add_caller(f"+1807555{3000 + i}", arrives=15.0 * i, patience=10 ** 6,
                       takes_callback=False)
    for phone in SURGE_SPECIALISTS:
        sim.add_specialist(phone, at=1.0)
    sim.run(until=4 * 3600)
    return sim


def assert_surge_kept(sim: SurgeQueue, db: Session) -> None:
    """Every caller reached a specialist (no caller left in a conference nobody is in: the
    simulator raises), and one answered record each names its specialist."""
    assert [c.outcome for c in sim.callers] == ["answered"] * SURGE_CALLERS
    db.expire_all()
    records = {r.call_sid: r for r in db.scalars(select(CallRecord))}
    ids = set(db.scalars(select(Specialist.id).where(Specialist.phone.in_(SURGE_SPECIALISTS))))
    for caller in sim.callers:
        record = records.get(caller.sid)
        assert record is not None, f"no record for {caller.sid}"
        assert (record.result, record.provider, record.language) == ("answered", "north", "en")
        assert record.specialist_id in ids, (caller.sid, record.specialist_id)
    assert sum(s.answered for s in sim.specialists) == SURGE_CALLERS


def test_redis_killed_and_back_empty_during_a_conference_surge(
        redis_app: Flask, fault_db: Session, clock: SimClock, own_redis: RedisServer) -> None:
    """Claims stop while the store is away (the specialists take Twilio's <Dial><Queue>),
    and start again once it is back, empty: nobody is stranded between the two bridges."""
    watch = Watch()
    sim = conference_surge(redis_app, fault_db, clock, {60: own_redis.kill, 220: own_redis.start})
    assert sim.requests > 220
    assert sim.bridged["conference"] > 0 and sim.bridged["queue"] > 0, sim.bridged
    watch.no_fallback()
    assert watch.degraded_answers() > 0
    assert_surge_kept(sim, fault_db)
    assert ready_again(redis_app)


def test_redis_paused_during_a_conference_surge(
        redis_app: Flask, fault_db: Session, clock: SimClock, own_redis: RedisServer) -> None:
    """The store accepts and answers nothing (SIGSTOP): each wait on it is bounded, then
    skipped while its breaker is open; the bridge goes on as when it is killed."""
    watch = Watch()
    try:
        sim = conference_surge(redis_app, fault_db, clock,
                               {60: own_redis.pause, 220: own_redis.resume})
    finally:
        own_redis.resume()
    assert sim.requests > 220
    assert sim.bridged["conference"] > 0 and sim.bridged["queue"] > 0, sim.bridged
    watch.no_fallback()
    assert_surge_kept(sim, fault_db)
    assert ready_again(redis_app)


@pytest.mark.parametrize("fault", ["refuse", "silent"])
def test_postgres_fails_during_a_conference_surge(
        pg_app: Flask, direct_db: Session, clock: SimClock, pg_proxy: TcpProxy, fault: str) -> None:
    """Claims go on while the database is away (a claim and its redirect need the store
    only): no specialist falls back to Twilio's <Dial><Queue>, no webhook answers its
    fallback; what the calls write is journaled and replayed."""
    direct_db.query(CallRecord).delete()
    direct_db.commit()
    watch = Watch()
    sim = conference_surge(pg_app, direct_db, clock,
                           {60: getattr(pg_proxy, fault), 220: pg_proxy.restore})
    assert sim.requests > 220
    assert sim.bridged == {"conference": SURGE_CALLERS, "queue": 0}, sim.bridged
    watch.no_fallback()
    assert pg_app.extensions["durable"].wait_drained(timeout=30)
    assert_surge_kept(sim, direct_db)
