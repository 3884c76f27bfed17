"""Domain errors as 4xx answers, one translation for the admin pages and the JSON API.

The engine and the store raise what went wrong in their own terms: a draft that does not
validate (`PublishRefused`), a version or bulletin that does not exist (`LookupError`), a call
that cannot be explained (`ExplainError`), a rule set that does not parse (`RuleSetInvalid`),
a bulletin with a bad field (`BulletinInvalid`), disaster mode's texts (`DisasterInvalid`).
`refusal` turns each into a status and a reason; the API answers them as JSON, the pages as
a page with the same status and words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, render_template

from routing.engine.explain import ExplainError
from routing.engine.ruleset import RuleSetInvalid
from routing.store.bulletin_writes import BulletinInvalid
from routing.store.disaster import DisasterInvalid
from routing.store.versions import PublishRefused

REFUSED: tuple[type[Exception], ...] = (PublishRefused, LookupError, ExplainError, RuleSetInvalid,
                                        BulletinInvalid, DisasterInvalid)


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def refusal(exc: Exception) -> Refusal:
    """The answer to a refused request: 422 for a rule set that does not validate, 404 for
    something that does not exist, 400 for input that cannot be used."""
    if isinstance(exc, PublishRefused):
        return Refusal(422, f"the rule set does not validate: {exc}",
                       {"validation": exc.report.to_dict()})
    if isinstance(exc, LookupError):
        return Refusal(404, str(exc.args[0]) if exc.args else "not found")
    if isinstance(exc, ExplainError | DisasterInvalid) and exc.field:  # as pydantic's: by field
        return Refusal(400, f"{exc.field}: {exc}", {"errors": {exc.field: str(exc)}})
    return Refusal(400, str(exc))


def _as_json(exc: Exception) -> Any:
    answer = refusal(exc)
    return jsonify({"error": answer.reason, **answer.details}), answer.status


def _as_page(exc: Exception) -> Any:
    answer = refusal(exc)
    problems = [p.message for p in exc.report.errors] if isinstance(exc, PublishRefused) else []
    if isinstance(exc, PublishRefused) and exc.report.unlisted:
        problems.append(f"… and {exc.report.unlisted} more of the same kind")
    return render_template("routing/refused.html", refusal=answer, problems=problems), answer.status


def answer_as_json(bp: Blueprint) -> None:
    """The API's views raise; this answers `{"error": reason, ...}` (nothing is committed)."""
    for kind in REFUSED:
        bp.register_error_handler(kind, _as_json)


def answer_as_pages(bp: Blueprint) -> None:
    """The pages' views raise; this answers a page with the same status and reason."""
    for kind in REFUSED:
        bp.register_error_handler(kind, _as_page)
