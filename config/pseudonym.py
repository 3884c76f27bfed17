"""Caller pseudonyms: a keyed, slow hash of the caller's number whose key rotates by period.

Why each part:
- *keyed* (the key, `CALLER_HASH_KEY`, lives in the environment, never in the database): a
  stolen database alone cannot be searched for a number;
- *rotating by period* (`CALLER_HASH_PERIOD_DAYS`): the period's key is derived from the
  master key and the period's index, so two calls from one number share a hash only inside one
  period; records of different periods cannot be linked to each other from the database;
- *slow* (scrypt, memory-hard, cost `CALLER_HASH_COST` = log2 of N): even someone who holds
  both the database and the environment pays tens of milliseconds per guess per period, so
  searching the ~150 million Ontario numbers takes weeks of CPU per period instead of minutes;
- *kept only for a while*: hashes older than `CALLER_HASH_RETENTION_DAYS` are removed
  (`ivr.retention.purge_caller_hashes`, run by `flask privacy purge` and the survey worker).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers

DAY_SECONDS = 86400


def canonical_number(number: str) -> str:
    """E.164 when the number parses (Canada by default), else the stripped text as given."""
    try:
        parsed = phonenumbers.parse(number, "CA")
    except phonenumbers.NumberParseException:
        return number.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class CallerHasher:
    """Turns a number and a moment into that period's pseudonym (hex, 64 characters)."""

    key: str
    period_days: int = 30
    cost: int = 13  # scrypt N = 2**cost; r=8 -> 2**cost KiB of memory per hash

    def period(self, at: datetime) -> int:
        return int(at.timestamp() // (self.period_days * DAY_SECONDS))

    def period_key(self, period: int) -> bytes:
        return hmac.new(self.key.encode(), f"caller-hash-period:{period}".encode(), hashlib.sha256).digest()

    def digest_for_period(self, number: str, period: int) -> str:
        return hashlib.scrypt(canonical_number(number).encode(), salt=self.period_key(period),
                              n=2 ** self.cost, r=8, p=1, maxmem=2 ** (self.cost + 11),
                              dklen=32).hex()

    def digest(self, number: str | None, at: datetime) -> str | None:
        if not number or not number.strip():
            return None
        return self.digest_for_period(number, self.period(at))

    def digests_between(self, number: str, start: datetime, end: datetime) -> list[str]:
        """The number's pseudonym under every period key from `start` to `end` (access requests,
        replies from a number consented in an earlier period)."""
        first, last = self.period(start), self.period(end)
        return [self.digest_for_period(number, p) for p in range(first, last + 1)]

    def digests_within(self, number: str, end: datetime, window: timedelta) -> list[str]:
        return self.digests_between(number, end - window, end)
