"""Fixtures: an app per test on its own database and store namespace, so tests run in parallel.

With the defaults each test gets a fresh SQLite file and an in-process store; with
`DATABASE_URL` (PostgreSQL) each xdist worker gets its own database, emptied before every
test, and with `REDIS_URL` each test gets its own key namespace in the real Redis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from config.database import Base
from config.models import import_all_models
from config.settings import Settings
from config.shared_store import MemoryStore, RedisStore, SharedStore
from ivr.simulator.cli import SimClock
from ivr.simulator.rest import RestApi
from tests.browser_helpers import live_server
from tests.fault_servers import RedisServer, TcpProxy
from tests.survey_helpers import FakeTwilio, make_queue
from tests.twilio_helpers import SignedClient

TORONTO = ZoneInfo("America/Toronto")
AUTH_TOKEN = "test-auth-token"
PUBLIC_BASE_URL = "https://helpline.example.org"
TEST_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"

import_all_models()


def _worker() -> str:
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database of this worker's own on the PostgreSQL server, when DATABASE_URL names one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield None
        return
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{base.database}_{_worker()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    worker_url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(worker_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield worker_url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(postgres_url: str | None, tmp_path: Path) -> str:
    if postgres_url is None:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_url


@pytest.fixture
def store() -> Iterator[SharedStore]:
    """The shared store: real Redis (own namespace) when REDIS_URL is set, else in-process."""
    if not os.environ.get("REDIS_URL"):
        yield MemoryStore()
        return
    namespace = f"test-{uuid.uuid4().hex}"
    redis_store = RedisStore.from_url(os.environ["REDIS_URL"], namespace)
    yield redis_store
    keys = list(redis_store.client.scan_iter(f"{namespace}:*"))
    if keys:
        redis_store.client.delete(*keys)


@pytest.fixture
def clock() -> SimClock:
    """Frozen time: Monday 23 November 2026, 10:00 in Toronto; tests move it with `.set()`."""
    return SimClock(datetime(2026, 11, 23, 10, 0, tzinfo=TORONTO))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return replace(
        Settings(), database_url=database_url, redis_url=os.environ.get("REDIS_URL") or None,
        journal_path=str(tmp_path / "journal.sqlite3"),
        twilio_auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL, testing=True,
        secret_key="test-secret-key-for-sessions", caller_hash_key="test-caller-hash-key-0123",
        # Tests that are not about timeouts must not depend on how busy the machine is: with
        # the production 1 s a cold first query on a loaded CI machine opened the breaker and
        # dropped a consent. The fault tests set their own short timeouts (tests/test_faults.py).
        webhook_db_timeout_seconds=3.0,
    )


def _app_for(settings: Settings, store: SharedStore, clock: SimClock) -> Iterator[Flask]:
    app = create_app(settings, store=store, clock=clock)
    # No test reaches the real Twilio: an empty stand-in, which refuses what it does not know
    # as Twilio would; tests that play calls hand the app their exchange's (`tests.calls`).
    standin = RestApi()
    app.extensions["twilio_client_factory"] = lambda: standin
    if settings.is_sqlite:
        Base.metadata.create_all(app.extensions["db_engine"])
    yield app
    app.extensions["durable"].stop()
    app.extensions["db_engine"].dispose()
    app.extensions["webhook_db_engine"].dispose()


@pytest.fixture
def app(settings: Settings, store: SharedStore, clock: SimClock) -> Iterator[Flask]:
    yield from _app_for(settings, store, clock)


@pytest.fixture
def csrf_app(settings: Settings, store: SharedStore, clock: SimClock) -> Iterator[Flask]:
    """The app with CSRF checks on, as in production (tests otherwise leave them off)."""
    yield from _app_for(replace(settings, csrf_in_tests=True), store, clock)


LAB_BASE_URL = "http://helpline.lab.example"  # not https: a lab, where the demo clock may run


@pytest.fixture
def lab(settings: Settings, store: SharedStore, clock: SimClock) -> Iterator[Flask]:
    """The app as scripts/serve.sh and scripts/demo.sh run it: over http, DEMO_CLOCK on."""
    yield from _app_for(replace(settings, public_base_url=LAB_BASE_URL, demo_clock=True),
                        store, clock)


@pytest.fixture
def lab_db(lab: Flask) -> Iterator[Session]:
    session: Session = lab.extensions["db_sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def twilio(app: Flask) -> SignedClient:
    """Posts webhooks signed as Twilio signs them."""
    return SignedClient(app.test_client(), PUBLIC_BASE_URL, AUTH_TOKEN)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    session: Session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def board_calls(app: Flask, db: Session, store: SharedStore, clock: SimClock) -> datetime:
    """Live calls, waiting callers and staff for the supervisor board (tests.board_helpers),
    at the clock's time, which it returns."""
    from tests.board_helpers import known_board

    known_board(app, db, store, clock.current)
    return clock.current


@pytest.fixture
def own_redis_app(settings: Settings, own_redis: RedisServer, clock: SimClock) -> Iterator[Flask]:
    """A worker on a redis-server of the test's own (`own_redis`), which the test may kill."""
    cfg = replace(settings, redis_url=own_redis.url, redis_timeout_seconds=0.2,
                  breaker_cooldown_seconds=0.3)
    shared = RedisStore.from_url(own_redis.url, f"own-{uuid.uuid4().hex}", timeout=0.2)
    yield from _app_for(cfg, shared, clock)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own on a free port, which the test may stop and restart."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def pg_proxy(database_url: str) -> Iterator[TcpProxy]:
    """The test's PostgreSQL behind a TCP proxy the test can cut, slow or make silent
    (skipped in the SQLite pass)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI runs it in the PostgreSQL pass")
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_db_url(database_url: str, pg_proxy: TcpProxy) -> str:
    """The database URL through `pg_proxy`."""
    return make_url(database_url).set(host="127.0.0.1", port=pg_proxy.port).render_as_string(
        hide_password=False)


@pytest.fixture
def redis_url() -> str:
    """The real Redis server for tests that need one whatever the app's store is."""
    client = redis_lib.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except redis_lib.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {TEST_REDIS_URL}")
    finally:
        client.close()
    return TEST_REDIS_URL


@pytest.fixture
def queue(redis_url: str) -> Iterator[Queue]:
    """The survey worker's rq queue on the real Redis, emptied before and after."""
    yield from make_queue(redis_url)


@pytest.fixture
def fake_twilio(app: Flask, queue: Queue, db: Session) -> FakeTwilio:
    """Twilio's REST API faked at the client boundary, the survey jobs on `queue`, and the
    demo specialists registered (the outcome follow-up tests)."""
    from tests.calls import add_specialists

    fake = FakeTwilio()
    app.extensions["twilio_client_factory"] = lambda: fake
    app.extensions["survey_queue_factory"] = lambda: queue
    add_specialists(db)
    return fake


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app served over HTTP for the browser tests (Chromium must be installed)."""
    yield from live_server(app)
