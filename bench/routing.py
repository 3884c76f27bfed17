"""Routing speed: decision time and validation time for a 500-rule set.

    python bench/routing.py [--rules 500] [--calls 5000]

Targets: a decision under 1 ms, validation under 2 s. The default Ontario set (8 rules) is
measured in the same run as the baseline, and the ratio printed, so runs on different
machines compare.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.ontario import data_files
from routing.engine.decision import CallContext
from routing.engine.default_rules import default_document
from routing.engine.evaluate import evaluate
from routing.engine.figures import Figures
from routing.engine.ruleset import RuleSet, parse_ruleset
from routing.engine.validation import validate

TORONTO = ZoneInfo("America/Toronto")
NEEDS = ["food", "housing", "health", "income", "legal", "other"]
RULES_PER_REGION = 8


def schedule(open_hour: int, close_hour: int) -> dict[str, Any]:
    day = [[f"{open_hour:02d}:00", f"{close_hour:02d}:00"]]
    weekend = [[f"{open_hour + 1:02d}:00", f"{close_hour - 2:02d}:00"]]
    weekly = {d: day for d in ("mon", "tue", "wed", "thu", "fri")}
    return {"weekly": {**weekly, "sat": weekend, "sun": weekend}, "holidays": "closed"}


def region_rules(region: str, provider: str, sched: str) -> list[dict[str, Any]]:
    """Eight rules per region, using every kind of condition and action."""
    return [
        {"id": f"{region}-notice", "when": {"regions": [region], "day": "holiday"},
         "then": {"type": "message", "text_en": "Holiday hours.", "text_fr": "Horaire des fêtes."}},
        {"id": f"{region}-crisis", "when": {"regions": [region], "needs": ["health"],
                                            "schedule": sched, "schedule_state": "closed"},
         "then": {"type": "transfer", "number": "+18665312600"}},
        {"id": f"{region}-busy", "when": {"regions": [region], "queue": provider,
                                          "waiting_at_least": 10},
         "then": {"type": "enqueue", "provider": "central"}},
        {"id": f"{region}-slow", "when": {"regions": [region], "queue": provider,
                                          "expected_wait_at_least": 900},
         "then": {"type": "enqueue", "provider": "east"}},
        {"id": f"{region}-unstaffed", "when": {"regions": [region], "queue": provider,
                                               "no_specialist": True, "schedule": sched},
         "then": {"type": "enqueue", "provider": "after_hours"}},
        {"id": f"{region}-interp", "when": {"regions": [region], "interpreter": True},
         "then": {"type": "interpreter", "language": "und"}},
        {"id": f"{region}-french", "when": {"regions": [region], "languages": ["fr"],
                                            "schedule": sched},
         "then": {"type": "enqueue", "provider": "east"}},
        {"id": f"{region}-open", "when": {"regions": [region], "schedule": sched},
         "then": {"type": "enqueue", "provider": provider}},
    ]


def big_document(rule_count: int) -> dict[str, Any]:
    doc = default_document()
    regions = max(1, -(-(rule_count - 1) // RULES_PER_REGION))
    providers = [p["id"] for p in doc["providers"] if p["id"] not in ("after_hours", "backup")]
    doc["regions"] = [{"id": f"r{i}", "name_en": f"Region {i}", "name_fr": f"Région {i}",
                       "provider": providers[i % len(providers)]} for i in range(regions)]
    doc["schedules"] = {f"s{i}": schedule(6 + i % 4, 17 + i % 6) for i in range(20)}
    rules: list[dict[str, Any]] = []
    for i in range(regions):
        rules += region_rules(f"r{i}", providers[i % len(providers)], f"s{i % 20}")
    rules.append({"id": "after-hours", "when": {}, "then": {"type": "enqueue",
                                                            "provider": "after_hours"}})
    doc["rules"] = rules[: rule_count - 1] + rules[-1:]
    doc["closures"] = [{"date": "2026-12-24", "name": "Christmas Eve", "regions": ["r1", "r2"]}]
    return doc


def sample_calls(rs: RuleSet, count: int, seed: int = 211) -> list[tuple[CallContext, datetime]]:
    rng = random.Random(seed)
    regions = list(rs.regions)
    start = datetime(2026, 1, 1, tzinfo=TORONTO)
    calls = []
    for _ in range(count):
        ctx = CallContext(region=rng.choice(regions), language=rng.choice(["en", "fr"]),
                          need=rng.choice(NEEDS), interpreter=rng.choice([None] * 9 + ["pa"]))
        calls.append((ctx, start + timedelta(minutes=rng.randrange(365 * 24 * 60))))
    return calls


def time_decisions(rs: RuleSet, calls: list[tuple[CallContext, datetime]]) -> list[float]:
    figures = {pid: Figures(waiting=3, longest_wait=40.0, average_wait=120.0, specialists=2)
               for pid in rs.providers}
    for ctx, at in calls[:200]:  # warm up: holiday tables, time zone data
        evaluate(rs, ctx, at, figures)
    timings = []
    for ctx, at in calls:
        started = time.perf_counter()
        evaluate(rs, ctx, at, figures)
        timings.append(time.perf_counter() - started)
    return timings


def time_validation(doc: dict[str, Any], repeat: int = 3) -> tuple[float, int]:
    best, errors = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        report = validate(doc, data_files())
        best = min(best, time.perf_counter() - started)
        errors = len(report.errors)
    return best, errors


def report_line(label: str, timings: list[float]) -> float:
    mean = statistics.fmean(timings) * 1000
    p99 = sorted(timings)[int(len(timings) * 0.99)] * 1000
    print(f"{label:<34} mean {mean:7.3f} ms   p99 {p99:7.3f} ms   max {max(timings) * 1000:7.3f} ms")
    return mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()

    base_doc, big_doc = default_document(), big_document(args.rules)
    base_rs, big_rs = parse_ruleset(base_doc), parse_ruleset(big_doc)
    print(f"rule sets: baseline {len(base_rs.rules)} rules; big {len(big_rs.rules)} rules, "
          f"{len(big_rs.regions)} regions, {len(big_rs.schedules)} schedules")
    base_mean = report_line("decision, baseline (default set)",
                            time_decisions(base_rs, sample_calls(base_rs, args.calls)))
    big_mean = report_line(f"decision, {len(big_rs.rules)} rules",
                           time_decisions(big_rs, sample_calls(big_rs, args.calls)))
    base_valid, _ = time_validation(base_doc)
    big_valid, errors = time_validation(big_doc)
    print(f"{'validation, baseline (default set)':<34} {base_valid * 1000:9.1f} ms")
    print(f"{f'validation, {len(big_rs.rules)} rules':<34} {big_valid * 1000:9.1f} ms "
          f"({errors} errors)")
    print(f"ratios vs baseline: decision x{big_mean / base_mean:.1f}, "
          f"validation x{big_valid / base_valid:.1f}")
    print(f"targets: decision < 1 ms: {'met' if big_mean < 1 else 'MISSED'}; "
          f"validation < 2 s: {'met' if big_valid < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
