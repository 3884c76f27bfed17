"""A webhook's deadline cutting one query closes that connection only: the server is fine,
so the pool's other connections stay (re-opening them all is a burst of connects, each a
server process forked, at the moment the app is busiest: seen in the 500-caller surge as
one cut query followed by every worker's pool reconnecting and requests shed)."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from config import deadline
from config.database import DeadlineReached, Waits, make_engine

PG_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not PG_URL.startswith("postgresql"),
                                reason="needs PostgreSQL (DATABASE_URL); CI runs it in the PostgreSQL pass")


def test_a_query_cut_by_the_deadline_leaves_the_other_pooled_connections() -> None:
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = make_engine(url, Waits(read=10.0, pre_ping=False), pool_size=3)
    try:
        first, second = engine.connect(), engine.connect()
        pids = {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (first, second)}
        first.close()
        second.close()  # both back in the pool, idle
        with (engine.connect() as cut, deadline.bound(deadline.Ticket(time.monotonic() + 0.6)),
              pytest.raises(OperationalError) as raised):
            cut.execute(text("SELECT pg_sleep(3)"))
        assert isinstance(raised.value.orig, DeadlineReached)
        with engine.connect() as after:  # the one left idle: the same server process
            assert after.execute(text("SELECT pg_backend_pid()")).scalar_one() in pids
    finally:
        engine.dispose()
