"""Who may take calls: the active specialists by phone, held in memory and refreshed.

A specialist dialling in must never be told "not registered" because the database (or
anything else) failed. The roster is read from the database at most every
`REFRESH_SECONDS`, on the webhooks' engine (short timeouts, the database's breaker); when
a read fails the last roster stands, and each successful read is also kept in the local
journal's snapshots, so a worker that starts while PostgreSQL is down still knows the
specialists. A number missing from a roster that is fresh is truly unknown; missing from a
stale one (or with no roster at all) it is "unsure", and the caller says so honestly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.breaker import Breaker
from config.journal import Journal
from ivr.models import Specialist

log = logging.getLogger(__name__)
REFRESH_SECONDS = 30.0
FIRST_READ_WAIT = 2.0  # seconds a dial-in waits for another thread's first read of the roster
SNAPSHOT = "roster"


class OnDuty(NamedTuple):
    """What a dial-in needs to know about the specialist: who, and whose queue."""

    id: int
    provider: str


class Lookup(NamedTuple):
    specialist: OnDuty | None
    sure: bool  # False: the roster could not be checked against the database just now


def e164(number: str) -> str | None:
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, "CA"),
                                          phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return None


ACTIVE_SPECIALISTS = select(Specialist.phone, Specialist.id, Specialist.provider).where(
    Specialist.active.is_(True))


class Roster:
    def __init__(self, makesession: sessionmaker[Session], journal: Journal, breaker: Breaker,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.makesession = makesession
        self.breaker = breaker
        self.journal = journal
        self.clock = clock
        self._by_phone: dict[str, OnDuty] | None = None
        self._loaded_at: float | None = None  # last successful read from the database
        self._lock = threading.Lock()

    def lookup(self, number: str) -> Lookup:
        """The database's answer while it answers (so a deactivated specialist is turned
        away on their next call); the roster in memory when it does not."""
        phone = e164(number)
        if phone is None:
            return Lookup(None, True)
        if self.breaker.allow() and self._refresh_if_due():
            try:
                with self.makesession() as db:
                    row = db.execute(ACTIVE_SPECIALISTS.where(Specialist.phone == phone)).first()
            except Exception as err:
                log.warning("specialist lookup failed (%s); using the roster in memory",
                            type(err).__name__)
            else:
                roster = self._known()
                if row is None:
                    roster.pop(phone, None)
                    return Lookup(None, True)
                roster[phone] = OnDuty(row.id, row.provider)
                return Lookup(roster[phone], True)
        return Lookup(self._known().get(phone), False)

    def known(self, number: str) -> OnDuty | None:
        """From memory (or the snapshot) only: never touches the database."""
        phone = e164(number)
        return self._known().get(phone) if phone else None

    def invalidate(self) -> None:
        """An admin changed the specialists: read them again on the next dial-in."""
        self._loaded_at = None

    def _known(self) -> dict[str, OnDuty]:
        if self._by_phone is None:
            saved = self.journal.snapshot(SNAPSHOT) or {}
            self._by_phone = {phone: OnDuty(int(sid), str(provider))
                              for phone, (sid, provider) in saved.items()}
        return self._by_phone

    def _refresh_if_due(self) -> bool:
        """Read the whole roster when due; False when the database could not be read."""
        loaded = self._loaded_at
        if loaded is not None and self.clock() - loaded < REFRESH_SECONDS:
            return True
        if not self.breaker.allow():
            return False
        # Another thread reading it: go on with the roster in memory, but never answer from
        # no roster at all (the first dial-ins after a start) while the first read is on.
        if not (self._lock.acquire(timeout=FIRST_READ_WAIT) if loaded is None
                else self._lock.acquire(blocking=False)):
            return loaded is not None
        try:
            if self._loaded_at is not None and self._loaded_at != loaded:
                return True  # the thread we waited for has just read it
            with self.makesession() as db:
                rows = db.execute(ACTIVE_SPECIALISTS).all()
            by_phone = {row.phone: OnDuty(row.id, row.provider) for row in rows}
            self._by_phone, self._loaded_at = by_phone, self.clock()
        except Exception as err:
            log.warning("specialists' roster not refreshed (%s); using the last one",
                        type(err).__name__)
            return False
        finally:
            self._lock.release()
        try:
            self.journal.put_snapshot(SNAPSHOT, {p: [s.id, s.provider] for p, s in by_phone.items()})
        except Exception:
            log.exception("could not keep the roster snapshot")
        return True
