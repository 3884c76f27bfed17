"""The rules engine as a pure function: each condition, each action, schedule edges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from routing.engine.decision import CallContext
from routing.engine.default_rules import default_document
from routing.engine.evaluate import evaluate
from routing.engine.figures import Figures
from routing.engine.ruleset import RuleSetInvalid, parse_ruleset
from routing.engine.schedule import parse_schedule

TORONTO = ZoneInfo("America/Toronto")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=TORONTO)
EMPTY = Figures(waiting=0, longest_wait=0.0, average_wait=0.0, specialists=1)


def rules_with(*rules: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The default Ontario document with extra rules put first."""
    doc = default_document()
    doc["rules"] = [*rules, *doc["rules"]]
    doc.update(changes)
    return doc


def decide(doc: dict[str, Any], at: datetime = MONDAY_10, figures: dict[str, Figures] | None = None,
           **ctx: Any) -> Any:
    ctx.setdefault("region", "north")
    return evaluate(parse_ruleset(doc), CallContext(**ctx), at, figures or {})


def matched(decision: Any) -> str:
    return decision.trace[-1]["rule"]


# --- the default Ontario set ---------------------------------------------------------------

@pytest.mark.parametrize("region", ["central", "central_east", "central_south", "east", "north",
                                    "south_west"])
def test_each_region_goes_to_its_own_provider_in_open_hours(region: str) -> None:
    decision = decide(default_document(), region=region)
    assert (decision.action, decision.provider, matched(decision)) == (
        "enqueue", region, f"{region}-in-hours")
    assert decision.max_wait_seconds == 600 and decision.overflow_provider


def test_after_hours_goes_to_the_after_hours_provider_and_overflows_to_backup() -> None:
    decision = decide(default_document(), at=datetime(2026, 11, 23, 23, 30, tzinfo=TORONTO))
    assert (decision.provider, decision.overflow_provider) == ("after_hours", "backup")
    assert decision.trace[-1] == {"rule": "after-hours", "matched": True,
                                  "why": "enqueue at after_hours"}


def test_french_callers_in_english_only_regions_reach_a_french_capable_queue() -> None:
    decision = decide(default_document(), region="south_west", language="fr")
    assert (decision.provider, matched(decision)) == ("central", "french-in-hours")
    english = decide(default_document(), region="south_west", language="en")
    assert english.provider == "south_west"
    assert english.trace[1]["why"] == "language en is not in [fr]"


def test_trace_says_why_each_rule_above_the_match_did_not_match() -> None:
    decision = decide(default_document(), region="north")
    reasons = {step["rule"]: step["why"] for step in decision.trace if not step["matched"]}
    assert reasons["french-in-hours"] == (
        "region north is not in [central_east, central_south, south_west]")
    assert reasons["central-in-hours"] == "region north is not in [central]"
    assert decision.trace[0]["why"] == "2026-11-23 Monday 10:00 EST, regular day"
    assert [s["rule"] for s in decision.trace].index("north-in-hours") == len(decision.trace) - 1


def test_unknown_region_still_gets_a_route() -> None:
    decision = decide(default_document(), region=None)
    assert decision.provider == "after_hours"


def test_overflowed_call_gets_no_further_overflow() -> None:
    decision = decide(default_document(), overflowed=True)
    assert decision.provider == "north" and decision.overflow_provider is None
    assert decision.max_wait_seconds is None


# --- conditions ------------------------------------------------------------------------------

def test_needs_condition() -> None:
    rule = {"id": "legal", "when": {"needs": ["legal"]},
            "then": {"type": "enqueue", "provider": "east"}}
    assert matched(decide(rules_with(rule), need="legal")) == "legal"
    other = decide(rules_with(rule), need="food")
    assert other.trace[1] == {"rule": "legal", "matched": False,
                              "why": "need food is not in [legal]"}


def test_interpreter_condition_and_interpreter_action() -> None:
    add = {"id": "ojibwe", "when": {"regions": ["north"], "interpreter": False, "needs": ["health"]},
           "then": {"type": "interpreter", "language": "oj"}}
    decision = decide(rules_with(add), need="health")
    assert decision.interpreter == "oj" and decision.provider == "north"
    assert decision.trace[1] == {"rule": "ojibwe", "matched": True,
                                 "why": "add an interpreter (oj), go on"}
    kept = decide(rules_with(add), need="health", interpreter="pa")
    assert kept.interpreter == "pa"
    assert kept.trace[1]["why"] == "the caller has an interpreter"


def test_callback_action_sets_the_lowest_matching_threshold_and_goes_on() -> None:
    north = {"id": "north-callback", "when": {"regions": ["north"], "languages": ["en"]},
             "then": {"type": "callback", "after_seconds": 300}}
    everywhere = {"id": "surge-callback", "then": {"type": "callback", "after_seconds": 120}}
    decision = decide(rules_with(north))
    assert (decision.callback_after_seconds, decision.provider) == (300, "north")
    assert decision.trace[1] == {"rule": "north-callback", "matched": True,
                                 "why": "offer a callback from an expected wait of 300s, go on"}
    assert decide(rules_with(north), language="fr").callback_after_seconds is None
    assert decide(rules_with(north), region="east").callback_after_seconds is None
    assert decide(default_document()).callback_after_seconds is None
    # a rule put first (an overlay's) lowers the threshold, and never raises it
    assert decide(rules_with(everywhere, north)).callback_after_seconds == 120
    assert decide(rules_with(north, everywhere)).callback_after_seconds == 120
    high = {**everywhere, "then": {"type": "callback", "after_seconds": 900}}
    assert decide(rules_with(high, north)).callback_after_seconds == 300


def test_callback_action_needs_its_threshold() -> None:
    with pytest.raises(RuleSetInvalid) as raised:
        parse_ruleset(rules_with({"id": "cb", "then": {"type": "callback"}}))
    assert "rule 'cb'.then.after_seconds: a callback needs after_seconds" in str(raised.value)
    with pytest.raises(RuleSetInvalid) as raised:
        parse_ruleset(rules_with({"id": "cb", "then": {"type": "callback", "after_seconds": -5}}))
    assert "rule 'cb'.then.after_seconds: must be a whole number >= 0" in str(raised.value)


def test_message_action_plays_and_goes_on() -> None:
    note = {"id": "storm", "when": {"regions": ["north"]},
            "then": {"type": "message", "text_en": "Ice storm: lines are busy.",
                     "text_fr": "Tempête de verglas."}}
    decision = decide(rules_with(note))
    assert decision.messages == ({"en": "Ice storm: lines are busy.", "fr": "Tempête de verglas."},)
    assert decision.provider == "north"


def test_transfer_action() -> None:
    crisis = {"id": "crisis", "when": {"needs": ["health"], "schedule": "regional_hours",
                                       "schedule_state": "closed"},
              "then": {"type": "transfer", "number": "+18665312600"}}
    night = datetime(2026, 11, 24, 2, 0, tzinfo=TORONTO)
    decision = decide(rules_with(crisis), at=night, need="health")
    assert (decision.action, decision.transfer_number) == ("transfer", "+18665312600")
    day = decide(rules_with(crisis), need="health")
    assert day.action == "enqueue"
    assert day.trace[1]["why"] == "regional_hours is open"


def test_enqueue_action_own_max_wait_and_overflow() -> None:
    rule: dict[str, Any] = {"id": "fast", "when": {"regions": ["north"]},
            "then": {"type": "enqueue", "provider": "north", "max_wait_seconds": 120,
                     "overflow": "central"}}
    decision = decide(rules_with(rule))
    assert (decision.max_wait_seconds, decision.overflow_provider) == (120, "central")
    none = {**rule, "then": {**rule["then"], "overflow": None}}
    assert decide(rules_with(none)).overflow_provider is None


def test_day_condition_holiday_and_regular() -> None:
    rule = {"id": "holiday-msg", "when": {"day": "holiday"},
            "then": {"type": "message", "text_en": "Happy holidays", "text_fr": "Joyeuses fêtes"}}
    christmas = decide(rules_with(rule), at=datetime(2026, 12, 25, 12, 0, tzinfo=TORONTO))
    assert christmas.messages and christmas.trace[0]["why"].endswith("statutory holiday: Christmas Day")
    regular = decide(rules_with(rule))
    assert not regular.messages and regular.trace[1]["why"] == "not a holiday or closure day"


@pytest.mark.parametrize(("condition", "figures", "expect"), [
    ({"waiting_at_least": 3}, Figures(3, 10.0, 0.0, 1), True),
    ({"waiting_at_least": 3}, Figures(2, 10.0, 0.0, 1), False),
    ({"expected_wait_at_least": 300}, Figures(4, 100.0, 240.0, 1), True),  # 240/4 * 5 = 300
    ({"expected_wait_at_least": 300}, Figures(4, 100.0, 200.0, 1), False),
    ({"no_specialist": True}, Figures(0, 0.0, 0.0, 0), True),
    ({"no_specialist": True}, Figures(0, 0.0, 0.0, 2), False),
])
def test_live_queue_conditions(condition: dict[str, Any], figures: Figures, expect: bool) -> None:
    rule = {"id": "busy", "when": {"regions": ["north"], "queue": "north", **condition},
            "then": {"type": "enqueue", "provider": "east"}}
    decision = decide(rules_with(rule), figures={"north": figures})
    assert (decision.provider == "east") is expect
    if not expect:
        assert decision.trace[1]["why"].startswith("north: ")


def test_live_condition_reads_the_actions_provider_by_default() -> None:
    rule: dict[str, Any] = {"id": "north-unstaffed", "when": {"regions": ["north"], "no_specialist": True},
            "then": {"type": "transfer", "number": "+18077070000"}}
    no_queue = decide(rules_with(rule), figures={"north": Figures(0, 0.0, 0.0, 0)})
    assert no_queue.provider == "north"
    assert no_queue.trace[1]["why"] == "live condition names no queue"
    rule["when"]["queue"] = "north"
    assert decide(rules_with(rule), figures={"north": EMPTY}).provider == "north"
    assert decide(rules_with(rule), figures={"north": Figures(0, 0.0, 0.0, 0)}).action == "transfer"
    rule["then"] = {"type": "enqueue", "provider": "east"}
    empty = decide(rules_with(rule), figures={"east": Figures(0, 0.0, 0.0, 0)})
    assert empty.provider == "east"


def test_disabled_rule_is_skipped() -> None:
    rule = {"id": "off", "enabled": False, "when": {}, "then": {"type": "enqueue", "provider": "east"}}
    decision = decide(rules_with(rule))
    assert decision.provider == "north" and decision.trace[1]["why"] == "disabled"


def test_no_rule_matching_falls_back_to_the_safe_route() -> None:
    doc = default_document()
    doc["rules"] = [r for r in doc["rules"] if r["id"] != "after-hours"]
    decision = decide(doc, at=datetime(2026, 11, 24, 2, 0, tzinfo=TORONTO))
    assert decision.provider == "central" and decision.trace[-1]["rule"] == "(safe route)"


# --- schedule edges ----------------------------------------------------------------------------

def test_midnight_edges() -> None:
    doc = rules_with(schedules={"late": {"weekly": {"mon": [["20:00", "00:00"]]}, "holidays": "weekly"},
                                **default_document()["schedules"]})
    doc["rules"].insert(0, {"id": "late", "when": {"schedule": "late"},
                            "then": {"type": "enqueue", "provider": "east"}})
    just_before = datetime(2026, 11, 23, 23, 59, tzinfo=TORONTO)
    midnight = datetime(2026, 11, 24, 0, 0, tzinfo=TORONTO)
    assert decide(doc, at=just_before).provider == "east"
    assert decide(doc, at=midnight).provider == "after_hours"


def test_window_past_midnight_runs_into_the_next_day() -> None:
    schedule = parse_schedule("night", {"weekly": {"sun": [["22:00", "06:00"]]}})
    sunday_2300 = 6 * 1440 + 23 * 60
    monday_0500 = 5 * 60
    assert schedule.is_open(sunday_2300, False) and schedule.is_open(monday_0500, False)
    assert not schedule.is_open(6 * 60, False)


@pytest.mark.parametrize(("utc", "provider"), [
    # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT (UTC-4). Sunday hours are 09:00-17:00.
    (datetime(2026, 3, 8, 12, 59, tzinfo=UTC), "after_hours"),  # 08:59 EDT
    (datetime(2026, 3, 8, 13, 0, tzinfo=UTC), "north"),  # 09:00 EDT (08:00 had it stayed EST)
    (datetime(2026, 3, 8, 20, 59, tzinfo=UTC), "north"),  # 16:59 EDT
    (datetime(2026, 3, 8, 21, 0, tzinfo=UTC), "after_hours"),  # 17:00 EDT
    # 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST (UTC-5).
    (datetime(2026, 11, 1, 13, 30, tzinfo=UTC), "after_hours"),  # 08:30 EST (09:30 in EDT)
    (datetime(2026, 11, 1, 14, 0, tzinfo=UTC), "north"),  # 09:00 EST
    (datetime(2026, 11, 1, 21, 59, tzinfo=UTC), "north"),  # 16:59 EST
    (datetime(2026, 11, 1, 22, 0, tzinfo=UTC), "after_hours"),  # 17:00 EST (16:00 in EDT)
])
def test_dst_changes_use_toronto_wall_clock(utc: datetime, provider: str) -> None:
    assert decide(default_document(), at=utc).provider == provider


def test_dst_night_moments_are_routed_and_labelled() -> None:
    spring = decide(default_document(), at=datetime(2026, 3, 8, 7, 0, tzinfo=UTC))
    assert "03:00 EDT" in spring.trace[0]["why"] and spring.provider == "after_hours"
    fall = decide(default_document(), at=datetime(2026, 11, 1, 6, 30, tzinfo=UTC))
    assert "01:30 EST" in fall.trace[0]["why"] and fall.provider == "after_hours"


def test_canada_day_is_closed_for_regional_hours() -> None:
    canada_day = datetime(2026, 7, 1, 11, 0, tzinfo=TORONTO)  # a Wednesday
    decision = decide(default_document(), at=canada_day)
    assert decision.provider == "after_hours"
    assert "statutory holiday: Canada Day" in decision.trace[0]["why"]
    assert decide(default_document(), at=datetime(2026, 7, 2, 11, 0, tzinfo=TORONTO)).provider == "north"


def test_closure_day_for_some_regions_only() -> None:
    doc = default_document()
    doc["closures"] = [{"date": "2026-11-23", "name": "Staff training", "regions": ["north"]}]
    north = decide(doc, region="north")
    assert north.provider == "after_hours"
    assert "closure day: Staff training" in north.trace[0]["why"]
    assert decide(doc, region="east").provider == "east"


def test_holiday_hours_policy() -> None:
    schedule = parse_schedule("h", {"weekly": {"mon": [["08:00", "20:00"]]},
                                    "holidays": [["10:00", "14:00"]]})
    assert schedule.is_open(11 * 60, True) and not schedule.is_open(9 * 60, True)
    assert parse_schedule("w", {"weekly": {"mon": [["08:00", "20:00"]]},
                                "holidays": "weekly"}).is_open(9 * 60, True)


# --- shape errors ----------------------------------------------------------------------------

def test_shape_errors_name_every_place() -> None:
    doc = rules_with({"id": "bad", "when": {"colour": "red", "waiting_at_least": -1},
                      "then": {"type": "teleport"}})
    doc["schedules"]["broken"] = {"weekly": {"funday": [["08:00", "09:00"]]}}
    with pytest.raises(RuleSetInvalid) as error:
        parse_ruleset(doc)
    problems = " | ".join(error.value.problems)
    assert "rule 'bad'.when.colour: unknown condition" in problems
    assert "rule 'bad'.when.waiting_at_least: must be a whole number" in problems
    assert "rule 'bad'.then: must be an object whose type is one of" in problems
    assert "schedule 'broken': 'funday' is not a day" in problems


def test_long_runs_of_rules_for_other_regions_are_one_trace_step() -> None:
    doc = default_document()
    doc["regions"] += [{"id": f"x{i}", "name_en": f"X{i}", "name_fr": f"X{i}", "provider": "east"}
                       for i in range(20)]
    doc["rules"][:0] = [{"id": f"x{i}-open", "when": {"regions": [f"x{i}"]},
                         "then": {"type": "enqueue", "provider": "east"}} for i in range(20)]
    decision = decide(doc, region="north")
    assert decision.trace[1] == {"rule": "x0-open .. east-in-hours", "matched": False,
                                 "skipped": 25, "why": "25 rules for other regions than north"}
    assert decision.provider == "north" and matched(decision) == "north-in-hours"
    assert decide(doc, region="x19").trace[1]["skipped"] == 19
