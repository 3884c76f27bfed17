"""Validation refuses a rule set that could leave a caller without a route, naming the case."""

from __future__ import annotations

from typing import Any

from config.ontario import data_files
from routing.engine.coverage import check_coverage
from routing.engine.default_rules import default_document
from routing.engine.ruleset import parse_ruleset
from routing.engine.validation import validate


def messages(doc: dict[str, Any], code: str | None = None) -> list[str]:
    report = validate(doc, data_files())
    return [p.message for p in report.errors if code is None or p.code == code]


def rule(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def test_default_ontario_set_is_valid_with_no_warnings() -> None:
    report = validate(default_document(), data_files())
    assert report.ok, report.errors
    assert report.warnings == []


def test_hole_is_found_and_named() -> None:
    doc = default_document()
    rule(doc, "after-hours")["when"] = {"regions": ["central", "central_east", "central_south",
                                                   "east", "south_west"]}  # north forgotten
    holes = messages(doc, "coverage")
    assert "no route for region north, language en, Monday 00:00 to Monday 08:00 on regular days" in holes
    assert ("no route for region north, language fr, Saturday 17:00 to Sunday 09:00 "
            "on regular days") in holes
    assert "no route for region north, language en, all week on holidays and closure days" in holes
    assert ("no route for region north, language fr, Sunday 17:00 to Monday 00:00 (end of week) "
            "on regular days") in holes
    assert "no route for callers whose region is unknown, language en, all week on regular days" in holes
    assert all("region north" in hole or "region is unknown" in hole for hole in holes)


def test_hole_for_one_language_on_holidays_only() -> None:
    doc = default_document()
    rule(doc, "after-hours")["when"] = {"day": "regular"}
    doc["rules"].append({"id": "holiday-en", "when": {"day": "holiday", "languages": ["en"]},
                         "then": {"type": "enqueue", "provider": "after_hours"}})
    holes = messages(doc, "coverage")
    assert "no route for region east, language fr, all week on holidays and closure days" in holes
    assert not any("language en" in hole for hole in holes)


def test_conditional_rules_do_not_count_as_coverage() -> None:
    doc = default_document()
    rule(doc, "after-hours")["when"] = {"needs": ["food", "housing", "health", "income",
                                                  "legal", "other"]}
    assert messages(doc, "coverage")
    rule(doc, "after-hours")["when"] = {"queue": "after_hours", "waiting_at_least": 0}
    assert messages(doc, "coverage")


def test_coverage_is_checked_per_boundary_not_per_minute() -> None:
    rs = parse_ruleset(default_document())
    assert check_coverage(rs).holes == []
    from routing.engine.coverage import Grid

    assert Grid(rs).size == 15  # midnight Monday + opening and closing each day, not 10,080 minutes


def test_transfer_to_an_invalid_number_is_refused() -> None:
    doc = default_document()
    doc["rules"].insert(0, {"id": "crisis", "when": {"needs": ["health"]},
                            "then": {"type": "transfer", "number": "+1 555 0100"}})
    assert messages(doc, "invalid_number") == [
        "rule 'crisis' transfers to '+1 555 0100', which is not a valid phone number"]
    doc["rules"][0]["then"]["number"] = "+1 866 531 2600"
    assert messages(doc) == []


def test_overflow_cycle_is_refused() -> None:
    doc = default_document()
    backup = next(p for p in doc["providers"] if p["id"] == "backup")
    backup["overflow"] = "central"
    assert messages(doc, "overflow_cycle") == ["overflow cycle: backup -> central -> backup"]


def test_overflow_cycle_through_a_rule_override() -> None:
    doc = default_document()
    rule(doc, "after-hours")["then"]["overflow"] = "north"
    backup = next(p for p in doc["providers"] if p["id"] == "north")
    backup["overflow"] = "after_hours"
    assert messages(doc, "overflow_cycle") == ["overflow cycle: after_hours -> north -> after_hours"]


def test_unknown_provider_is_refused_everywhere_it_appears() -> None:
    doc = default_document()
    rule(doc, "north-in-hours")["then"]["provider"] = "nowhere"
    doc["providers"][0]["overflow"] = "atlantis"
    doc["safe_route_provider"] = "ghost"
    errors = messages(doc, "unknown_provider")
    assert "rule 'north-in-hours' enqueues at unknown provider 'nowhere'" in errors
    assert "provider 'central' overflows to unknown provider 'atlantis'" in errors
    assert "safe_route_provider 'ghost' is not a provider" in errors


def test_unknown_names_in_conditions_and_duplicates() -> None:
    doc = default_document()
    doc["rules"].insert(0, {"id": "odd", "when": {"regions": ["mars"], "languages": ["de"],
                                                  "needs": ["pizza"], "schedule": "never"},
                            "then": {"type": "enqueue", "provider": "east"}})
    doc["rules"].append(dict(doc["rules"][0]))
    errors = messages(doc)
    for expected in ("rule 'odd' names unknown region 'mars'", "rule 'odd' names unknown language 'de'",
                     "rule 'odd' names unknown need 'pizza'", "rule 'odd' names unknown schedule 'never'",
                     "rules: id 'odd' is used 2 times"):
        assert expected in errors


def test_language_warning_for_a_provider_that_does_not_speak_it() -> None:
    doc = default_document()
    doc["rules"] = [r for r in doc["rules"] if r["id"] != "french-in-hours"]
    report = validate(doc, data_files())
    assert report.ok
    warned = {w.message for w in report.warnings}
    assert "rule 'south_west-in-hours' sends fr callers to 'south_west', which does not answer in fr" \
        in warned


def test_shape_errors_are_reported_not_raised() -> None:
    report = validate({"rules": "nope"}, data_files())
    assert not report.ok and report.errors[0].code == "shape"
    assert validate([], data_files()).errors[0].message == "the rule set must be a JSON object"
