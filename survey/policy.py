"""When and how often we follow up, and how long a consented number may be kept.

Defaults follow the issue: first contact about 7 days after the call, only between 10:00 and
20:00 in the deployment's time zone, up to 3 retries a day apart, and the number erased after 30 days at most.
The app holds one `FollowUpPolicy` (`app.extensions["survey_policy"]`); tests replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.extensions import local_zone


@dataclass(frozen=True)
class FollowUpPolicy:
    delay: timedelta = timedelta(days=7)
    window_start: time = time(10, 0)
    window_end: time = time(20, 0)
    timezone: str | None = None  # None: the live deployment's (`config.extensions.local_zone`)
    max_retries: int = 3
    retry_spacing: timedelta = timedelta(days=1)
    retention: timedelta = timedelta(days=30)

    @property
    def max_attempts(self) -> int:
        return 1 + self.max_retries


def next_allowed(moment: datetime, policy: FollowUpPolicy) -> datetime:
    """The first instant at or after `moment` inside the calling window (quiet hours skipped)."""
    zone = ZoneInfo(policy.timezone) if policy.timezone else local_zone()
    local = moment.astimezone(zone)
    if policy.window_start <= local.time() < policy.window_end:
        return moment
    day = local.date() if local.time() < policy.window_start else local.date() + timedelta(days=1)
    return datetime.combine(day, policy.window_start, tzinfo=zone)


def in_window(moment: datetime, policy: FollowUpPolicy) -> bool:
    return next_allowed(moment, policy) == moment
