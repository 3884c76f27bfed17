"""The full report as one plain dict: what the JSON API, the CSV, the CLI and the page show.

Two cube queries (survey answers, calls) and one anti-join (needs without a referral) read
the database; everything else here adds up their small results.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.definition import figure_questions
from survey.reports import queries
from survey.reports.callbacks import callback_report
from survey.reports.period import Period
from survey.reports.rollup import OVERALL, UNKNOWN, add_up
from survey.reports.stats import proportion, ratio

# The five figures 211 Ontario publishes, in its order.
FIGURES = ("very_satisfied", "would_call_again", "followed_up", "better_prepared",
           "health_improved")
DIMENSIONS = ("overall", "region", "provider", "language", "month")
CALL_FIELDS = ("calls", "answered", "abandoned", "ivr_abandoned", "answered_within_60s",
               "overflowed", "queue_sum", "queue_n", "talk_sum", "talk_n")
TOP_NEEDS = 5


def _average(total: int, n: int) -> float | None:
    return round(total / n, 1) if n else None


def call_summary(row: dict[str, int] | None) -> dict[str, Any]:
    row = row or dict.fromkeys(CALL_FIELDS, 0)
    offered = row["answered"] + row["abandoned"]  # calls that reached a queue
    return {
        "calls": row["calls"], "answered": row["answered"], "abandoned": row["abandoned"],
        "ivr_abandoned": row["ivr_abandoned"], "offered_to_queue": offered,
        "avg_speed_of_answer_s": _average(row["queue_sum"], row["queue_n"]),
        "avg_talk_s": _average(row["talk_sum"], row["talk_n"]),
        "answered_within_60s_pct": ratio(row["answered_within_60s"], offered),
        "abandonment_rate_pct": ratio(row["abandoned"], offered),
        "overflow_rate_pct": ratio(row["overflowed"], offered),
    }


def figure_summary(counts: dict[str, int] | None) -> dict[str, Any]:
    counts = counts or {"positive": 0, "answered": 0, "rows": 0}
    return {**proportion(counts["positive"], counts["answered"]),
            "skipped": counts["rows"] - counts["answered"]}


def breakdown(survey: list[dict[str, Any]], calls: list[dict[str, Any]],
              dimension: str) -> list[dict[str, Any]]:
    """One entry per group: the call figures and the five survey figures side by side."""
    figure_of = figure_questions()
    answers = add_up((r for r in survey if r["question"] in figure_of), (dimension, "question"),
                     ("positive", "answered", "rows"))
    volumes = add_up(calls, (dimension,), CALL_FIELDS)
    keys = {k for k, _ in answers} | {k for (k,) in volumes}
    ordered = [OVERALL] if dimension == "overall" else sorted(keys, key=lambda k: (k == UNKNOWN, k))
    question_of = {figure: question for question, figure in figure_of.items()}
    return [{
        "key": key,
        "calls": call_summary(volumes.get((key,))),
        "figures": {f: figure_summary(answers.get((key, question_of.get(f, "")))) for f in FIGURES},
    } for key in ordered]


def top_needs(calls: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    per_need = add_up(calls, ("region", "need"), ("calls",))
    regions: dict[str, list[dict[str, Any]]] = {}
    for (region, need), counts in sorted(per_need.items(), key=lambda i: (-i[1]["calls"], i[0])):
        regions.setdefault(region, [])
        if len(regions[region]) < TOP_NEEDS:
            regions[region].append({"need": need, "calls": counts["calls"]})
    return dict(sorted(regions.items()))


def needs_without_referral(db: Session, period: Period,
                           calls: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    missing = queries.no_referral_by_need(db, period)
    if missing is None:
        return None
    missing = {UNKNOWN if need is None else need: n for need, n in missing.items()}
    answered = add_up(calls, ("need",), ("answered",))
    return [{"need": need, "answered_calls": counts["answered"],
             "no_referral": missing.get(need, 0),
             "no_referral_pct": ratio(missing.get(need, 0), counts["answered"])}
            for (need,), counts in sorted(answered.items()) if counts["answered"]]


def full_report(db: Session, period: Period) -> dict[str, Any]:
    queries.tune_for_reports(db)
    survey, calls = queries.survey_cube(db, period), queries.call_cube(db, period)
    versions = add_up(survey, ("survey", "version"), ("rows",))
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(),
                   "timezone": period.timezone},
        "figures": list(FIGURES),
        "breakdowns": {d: breakdown(survey, calls, d) for d in DIMENSIONS},
        "top_needs_by_region": top_needs(calls),
        "needs_without_referral": needs_without_referral(db, period, calls),
        "callbacks": callback_report(db, period),
        "definition_versions": [{"survey": s, "version": v, "answers": c["rows"]}
                                for (s, v), c in sorted(versions.items())],
        "notes": {
            "followed_up": "counts 'yes' and 'some' as followed up",
            "answered_within_60s_pct": "answered within 60 s / calls that reached a queue",
            "abandonment_rate_pct": "hung up in queue / calls that reached a queue",
            "overflow_rate_pct": "sent to another region's team / calls that reached a queue",
            "callbacks": "by the period of their first offer; time to callback: accepted to "
                         "connected, completed callbacks only; a caller who left the queue for "
                         "a callback is not an abandoned call",
        },
    }
