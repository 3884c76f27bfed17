"""One unit of work: only the boundary commits, through `config.database.commit`.

Boundaries (views, the webhook decorator, `session_scope` for CLI commands and jobs, the
durable writer) call `config.database.commit(db)`, which commits and then delivers what
the transaction owes (`config.outbox`). Domain code never commits, so a service cannot
end its caller's transaction halfway, and no effect goes out before the data it rests on.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from config.database import commit
from config.outbox import OutboxEntry, handler, owe

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("accounts", "config", "directory", "ivr", "needs", "privacy", "routing", "survey")
# The helper itself, and the outbox's own short claim-and-mark transactions.
ALLOWED = {"config/database.py", "config/outbox.py"}
COMMIT = re.compile(r"\.commit\(\)")


def test_only_the_unit_of_work_helper_commits() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for area in CHECKED for path in sorted((ROOT / area).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in ALLOWED
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if COMMIT.search(line.split("#")[0])
    ]
    assert offenders == [], "commit through config.database.commit(db), at the boundary"


delivered: list[dict[str, object]] = []


@handler("test.note")
def _note(payload: dict[str, object]) -> None:
    delivered.append(payload)


def test_a_rolled_back_unit_of_work_owes_nothing(app: Flask) -> None:
    """What a transaction owed goes with it when it rolls back; the next commit sends only
    its own rows."""
    at = app.extensions["clock"]()
    delivered.clear()
    with app.extensions["db_sessionmaker"]() as db:
        owe(db, "test.note", {"n": 1}, at)
        db.flush()
        db.rollback()
        owe(db, "test.note", {"n": 2}, at)
        commit(db)
        assert [r.payload for r in db.scalars(select(OutboxEntry))] == ['{"n":2}']
    assert delivered == [{"n": 2}]
