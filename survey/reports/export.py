"""The report flattened to CSV rows: one line per group and measure."""

from __future__ import annotations

import csv
import io
from typing import Any

from config.spreadsheet import safe_row

COLUMNS = ("section", "dimension", "key", "measure", "value", "positive", "answered", "skipped",
           "ci_low", "ci_high")


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for dimension, groups in report["breakdowns"].items():
        for group in groups:
            for measure, value in group["calls"].items():
                out.append({"section": "calls", "dimension": dimension, "key": group["key"],
                            "measure": measure, "value": value})
            for figure, fig in group["figures"].items():
                out.append({"section": "survey", "dimension": dimension, "key": group["key"],
                            "measure": figure, "value": fig["pct"], "positive": fig["positive"],
                            "answered": fig["answered"], "skipped": fig["skipped"],
                            "ci_low": fig["ci_low"], "ci_high": fig["ci_high"]})
    for region, needs in report["top_needs_by_region"].items():
        for rank, item in enumerate(needs, 1):
            out.append({"section": "top_needs", "dimension": "region", "key": region,
                        "measure": f"{rank}:{item['need']}", "value": item["calls"]})
    for item in report["needs_without_referral"] or []:
        out.append({"section": "no_referral", "dimension": "need", "key": item["need"],
                    "measure": "no_referral_pct", "value": item["no_referral_pct"],
                    "positive": item["no_referral"], "answered": item["answered_calls"]})
    callbacks = report.get("callbacks") or {}
    for group in [{"key": "all", **callbacks.get("overall", {})}, *callbacks.get("by_region", [])]:
        for measure, value in group.items():
            if measure != "key":
                out.append({"section": "callbacks", "dimension": "region", "key": group["key"],
                            "measure": measure, "value": value})
    return out


def to_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_row(row) for row in rows(report))
    return buffer.getvalue()
