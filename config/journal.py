"""A local, durable journal: what could not be written to the database waits here.

A SQLite file on the worker's own disk (one per database URL, shared by the machine's
workers; SQLite serialises them). Each entry is a kind and a JSON payload, kept until the
database has taken it. `synchronous=FULL`: an entry survives the process and the machine
failing, since it is the only copy of a call record or a survey answer while PostgreSQL
is down. It also keeps small snapshots (the specialists' roster) so a worker that starts
during an outage still knows what the database last said.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS snapshots (name TEXT PRIMARY KEY, payload TEXT NOT NULL);
"""


SET_ASIDE = 99


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot journal {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$dt" in obj:
            return datetime.fromisoformat(obj["$dt"])
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
    return obj


def dumps(payload: Any) -> str:
    return json.dumps(payload, default=_encode, separators=(",", ":"))


def loads(raw: str) -> Any:
    return json.loads(raw, object_hook=_decode)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=5, check_same_thread=False,
                                   isolation_level=None)
            conn.execute("PRAGMA secure_delete=ON")  # replayed entries (numbers too) are wiped
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            self._conn = conn
        return self._conn

    def append(self, kind: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._db().execute("INSERT INTO entries (kind, payload) VALUES (?, ?)",
                               (kind, dumps(payload)))

    def pending(self, limit: int = 200) -> list[tuple[int, str, dict[str, Any]]]:
        if not self.path.exists():
            return []
        with self._lock:
            rows = self._db().execute(
                "SELECT id, kind, payload FROM entries WHERE tries < ? ORDER BY id LIMIT ?",
                (SET_ASIDE, limit)).fetchall()
        return [(int(i), str(kind), loads(raw)) for i, kind, raw in rows]

    def remove(self, entry_id: int) -> None:
        with self._lock:
            self._db().execute("DELETE FROM entries WHERE id = ?", (entry_id,))

    def remove_many(self, entry_ids: list[int]) -> None:
        """Forget entries the database has taken: one transaction (one sync) for them all."""
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("DELETE FROM entries WHERE id = ?", [(i,) for i in entry_ids])
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def set_aside(self, entry_id: int) -> None:
        """Keep an entry the database refuses (a bug, not an outage) without retrying it."""
        with self._lock:
            self._db().execute("UPDATE entries SET tries = ? WHERE id = ?", (SET_ASIDE, entry_id))

    def count(self) -> int:
        """Entries still to be written (those set aside are kept, but not counted)."""
        if not self.path.exists():
            return 0
        with self._lock:
            row = self._db().execute("SELECT count(*) FROM entries WHERE tries < ?",
                                     (SET_ASIDE,)).fetchone()
            return int(row[0])

    def put_snapshot(self, name: str, payload: Any) -> None:
        with self._lock:
            self._db().execute("INSERT OR REPLACE INTO snapshots (name, payload) VALUES (?, ?)",
                               (name, dumps(payload)))

    def snapshot(self, name: str) -> Any | None:
        if not self.path.exists():
            return None
        with self._lock:
            row = self._db().execute("SELECT payload FROM snapshots WHERE name = ?",
                                     (name,)).fetchone()
        return None if row is None else loads(row[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
