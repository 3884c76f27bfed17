"""Who may work on a call's record (its referrals, its contact record): the specialist who
answered it, or a supervisor or admin. Everyone else, other specialists included, may not."""

from __future__ import annotations

from accounts.models import ADMIN, SUPERVISOR, User
from ivr.models import CallRecord


def may_work_on(user: User, call: CallRecord) -> bool:
    if user.role in (ADMIN, SUPERVISOR):
        return True
    return user.specialist_id is not None and call.specialist_id == user.specialist_id
