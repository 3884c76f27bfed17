"""Open data: the needs report with small cells withheld, and both reports flattened to CSV.

Every count from 1 to `threshold - 1` becomes null (0 stays 0: nobody is identified by
absence), as public 211 data does; an average over a withheld count is withheld too.
This is primary suppression only: a withheld cell can sometimes be worked out from a total
and its siblings, so share the coarsest breakdown that serves.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from config.spreadsheet import safe_row

NOT_COUNTS = {"level", "hold_seconds"}
# An average (or a sum of minutes) is withheld with the count it is over.
AVERAGES = {"avg_wrap_up_s": "records", "mean_hold_s": "answered", "minutes": "sessions",
            "interpreter_minutes": "interpreter_sessions"}


def _withheld(value: int, threshold: int) -> int | None:
    return None if 0 < value < threshold else value


def suppress_cells(value: Any, threshold: int) -> Any:
    if isinstance(value, list):
        return [suppress_cells(v, threshold) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, int) and not isinstance(item, bool) and key not in NOT_COUNTS:
            out[key] = _withheld(item, threshold)
        else:
            out[key] = suppress_cells(item, threshold)
    for average, count in AVERAGES.items():
        if average in out and count in out and out[count] is None:
            out[average] = None
    return out


def open_data(report: dict[str, Any], threshold: int) -> dict[str, Any]:
    published = suppress_cells({k: v for k, v in report.items() if k != "notes"}, threshold)
    published["suppression"] = {
        "threshold": threshold,
        "rule": f"counts from 1 to {threshold - 1} are withheld (null); 0 is shown",
    }
    published["notes"] = report.get("notes", {})
    return published


COLUMNS = ("section", "region", "key", "name", "measure", "value")


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per group and measure."""
    out: list[dict[str, Any]] = []

    def add(section: str, key: str, measures: dict[str, Any], name: str = "", region: str = "") -> None:
        for measure, value in measures.items():
            if isinstance(value, dict):
                for sub, n in value.items():
                    out.append({"section": section, "region": region, "key": key, "name": name,
                                "measure": f"{measure}:{sub}", "value": n})
            elif measure not in ("code", "name", "parent", "region", "fsa", "month", "level",
                                 "language", "kind", "target_kind", "target"):
                out.append({"section": section, "region": region, "key": key, "name": name,
                            "measure": measure, "value": value})

    add("totals", "all", report["totals"])
    for node in report["needs_by_taxonomy"]:
        add("needs_by_taxonomy", node["code"], node, node["name"])
    add("gaps_by_reason", "all", {"unmet": report["gaps_by_reason"]})
    for month in report["monthly"]:
        add("monthly", month["month"], month)
    for region, gaps in report["top_gaps_by_region"].items():
        for rank, gap in enumerate(gaps, 1):
            add("top_gaps", f"{rank}:{gap['code']}", gap, gap["name"], region)
    for region in report["by_region"]:
        add("by_region", region["region"], region, region=region["region"])
    for fsa in report["by_fsa"]:
        add("by_fsa", fsa["fsa"], fsa, region=fsa["region"] or "")
    calls_rows(report["calls"], add)
    return out


def calls_rows(calls: dict[str, Any], add: Any) -> None:
    """The calls section: totals, crisis by route, interpreters (and per vendor), transfers."""
    add("calls", "all", calls["totals"])
    add("calls_crisis", "all", {"crisis_by_via": calls["crisis_by_via"]})
    for lang in calls["interpreters_by_language"]:
        add("calls_interpreters", lang["language"],
            {k: v for k, v in lang.items() if k != "by_vendor"}, lang["name"])
        for vendor, figures in lang["by_vendor"].items():
            add("calls_interpreters", f"{lang['language']}:{vendor}", figures, lang["name"])
    for moved in calls["transfers"]:
        add("calls_transfers", f"{moved['kind']}:{moved['target_kind']}:{moved['target']}", moved)
    for region in calls["by_region"]:
        add("calls_by_region", region["region"], region, region=region["region"])


def to_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_row(row) for row in csv_rows(report))
    return buffer.getvalue()
