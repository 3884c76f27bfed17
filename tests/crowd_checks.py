"""What a crowd of simulated calls got, against what the database kept (fault tests, surge bench).

`PLANS` are the callers both place: caller ID known, a town spoken, French, each answering
the four survey questions, and an interpreter caller (who gets no survey). `audit()` reads
the call records and survey answers of the calls placed and counts what is missing or
wrong: a record per call, closed, filed under the caller's language and region, "answered"
always with its specialist, the queue the caller joined being the record's provider's, and
every survey answer given kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.models import CallRecord
from ivr.simulator.crowd import Placed, Plan
from routing.engine.default_rules import default_ruleset
from survey.models import SurveyAnswer

EXAMPLES_EACH = 4  # calls shown per kind of problem

PLANS = (
    Plan("+18075550123", ("1", "1", "5", "1", "1", "3"), "en", "north", 4),
    Plan("+17055550123", ("1", "say:Sudbury", "2", "4", "1", "2", "3"), "en", "north", 4),
    Plan("+16135550123", ("2", "say:logement", "say:cinq", "say:oui", "1", "3"), "fr", "east", 4),
    # an interpreter caller: no need menu, no survey; "please hold" in Punjabi
    Plan("+14165550123", ("3", "say:Punjabi"), "en", "central", 0, interpreter="pa"),
)


@dataclass
class Audit:
    placed: int = 0
    broken: int = 0  # calls the simulator could not finish (Twilio would play its own error)
    dropped: int = 0  # calls that never reached a specialist
    safe_routed: int = 0  # calls that heard the safe route's apology
    turned_away: int = 0  # specialists told their line is not registered or cannot be checked
    failed_requests: int = 0  # webhooks with no usable answer (Twilio asks the fallback URL)
    wrong_language: int = 0  # calls that heard a prompt in another language after choosing
    records_missing: int = 0
    records_open: int = 0  # no end time: the status callback's close never arrived
    wrong_context: int = 0  # filed under another language or region
    wrong_queue: int = 0  # the caller joined a queue other than the record's provider's
    answered_without_specialist: int = 0
    bridged_not_answered: int = 0
    answers_given: int = 0
    answers_kept: int = 0
    requests: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def answers_lost(self) -> int:
        return self.answers_given - self.answers_kept

    @property
    def records_lost(self) -> int:
        return self.records_missing + self.records_open + self.wrong_context + self.wrong_queue + (
            self.answered_without_specialist + self.bridged_not_answered)

    def report(self) -> str:
        counts = {k: v for k, v in vars(self).items() if k != "problems" and v}
        return "\n".join([repr(counts), *self.problems])

    def clean(self) -> bool:
        """Every call got through and everything it produced was kept, correctly."""
        return not (self.broken or self.dropped or self.safe_routed or self.turned_away
                    or self.failed_requests or self.wrong_language or self.records_lost
                    or self.answers_lost)


def queue_of(provider: str | None) -> str | None:
    """The provider's queue under the default rules (what the tests and the bench run)."""
    providers = default_ruleset().providers
    return providers[provider].queue if provider in providers else None


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def audit(calls: Sequence[Placed], db: Session) -> Audit:
    """Count, over `calls`, what callers got and what the database holds for them."""
    out = Audit(placed=len(calls))
    sids = [c.sid for c in calls if c.sid]
    records: dict[str, CallRecord] = {}
    kept: defaultdict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(sids):
        records.update((r.call_sid, r) for r in db.scalars(
            select(CallRecord).where(CallRecord.call_sid.in_(chunk))))
        for call_sid, question in db.execute(select(SurveyAnswer.call_sid, SurveyAnswer.question)
                                             .where(SurveyAnswer.call_sid.in_(chunk))):
            kept[call_sid].add(question)
    for call in calls:
        _audit_call(out, call, records.get(call.sid), kept[call.sid])
    return out


def _audit_call(out: Audit, call: Placed, record: CallRecord | None, kept: set[str]) -> None:
    def problem(counter: str, text: str) -> None:
        count = getattr(out, counter) + 1
        setattr(out, counter, count)
        if count <= EXAMPLES_EACH:
            out.problems.append(f"{counter}: {call.sid} ({call.plan.from_number}): {text}; "
                                f"asked {' '.join(call.paths_asked())}")

    out.requests += len(call.requests)
    given = call.questions_answered
    out.answers_given += len(given)
    out.answers_kept += len(given & kept)
    out.failed_requests += len(call.failures)
    out.safe_routed += call.safe_routed
    out.turned_away += call.turned_away
    if call.error:
        problem("broken", call.error)
    if call.dropped:
        out.dropped += 1
    heard = {call.plan.language, call.plan.interpreter}
    wrong = [text for language, text in call.said_after_menu() if language not in heard]
    if wrong:
        problem("wrong_language", f"heard {wrong[0]!r}")
    if record is None:
        problem("records_missing", "no call record")
        return
    if record.ended_at is None:
        problem("records_open", "record never closed")
    if (record.language, record.region) != (call.plan.language, call.plan.region):
        problem("wrong_context", f"filed as {record.language}/{record.region}")
    if call.queues and call.queues[-1] != queue_of(record.provider):
        problem("wrong_queue", f"joined {call.queues[-1]}, record says {record.provider}")
    if record.result == "answered" and record.specialist_id is None:
        problem("answered_without_specialist", "answered, no specialist")
    if call.bridged and record.result != "answered":
        problem("bridged_not_answered", f"bridged, record says {record.result}")
    if given - kept and out.answers_given - out.answers_kept <= EXAMPLES_EACH:
        out.problems.append(f"answers_lost: {call.sid}: {sorted(given - kept)}")
