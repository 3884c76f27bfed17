"""The draft's form editors (providers, regions, schedules, rules): they change exactly what they
say, refuse what publishing would refuse without touching the draft, keep what the admin typed,
audit every save, and are for admins only, with CSRF."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from routing.engine.default_rules import default_document
from routing.store.models import RoutingAudit, RuleSetDraft
from routing.store.versions import draft_document
from tests.test_admin_routing_pages import client_for, token_from

BASE = "/admin/routing"
CONFIRM = {"confirm": "yes"}  # the second POST of a delete, from its confirmation page
FORM_PAGES = ["/providers", "/providers/new", "/providers/north", "/regions", "/regions/new",
              "/regions/north", "/schedules", "/schedules/new", "/schedules/regional_hours", "/rules",
              "/rules/new", "/rules/after-hours"]
FORM_POSTS = ["/providers/new", "/providers/north", "/providers/north/delete", "/safe-route",
              "/regions/new", "/regions/north", "/regions/north/delete", "/schedules/new",
              "/schedules/regional_hours", "/schedules/regional_hours/delete", "/rules/new",
              "/rules/after-hours", "/rules/after-hours/move/up", "/rules/after-hours/delete"]


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return client_for(app, "admin")


def draft(app: Flask) -> dict[str, Any]:
    db = app.extensions["db_sessionmaker"]()
    doc, _base = draft_document(db)
    db.close()
    return doc


def untouched(app: Flask) -> bool:
    """No draft was saved and nothing was audited: the refused form changed nothing."""
    db = app.extensions["db_sessionmaker"]()
    saved = db.get(RuleSetDraft, 1)
    audited = db.scalar(select(RoutingAudit))
    db.close()
    return saved is None and audited is None and draft(app) == default_document()


def audit_entries(app: Flask) -> list[RoutingAudit]:
    db = app.extensions["db_sessionmaker"]()
    entries = list(db.scalars(select(RoutingAudit).order_by(RoutingAudit.id)))
    db.close()
    return entries


def by_id(doc: dict[str, Any], section: str, item_id: str) -> dict[str, Any]:
    return next(item for item in doc[section] if item["id"] == item_id)


def provider_post(**changes: Any) -> dict[str, Any]:
    data = {"item_id": "north", "name": "211 North contact centre", "name_fr": "211 Nord",
            "city": "Thunder Bay",
            "queue": "211-north", "languages": ["en", "fr"], "max_wait_seconds": "600",
            "overflow": "east"}
    return {**data, **changes}


def region_post(**changes: Any) -> dict[str, Any]:
    data = {"item_id": "north", "name_en": "211 North", "name_fr": "211 Nord", "provider": "north",
            "area_codes": "", "exchanges": "", "postal_prefixes": "", "municipalities": ""}
    return {**data, **changes}


def schedule_post(**changes: Any) -> dict[str, Any]:
    """regional_hours as the form shows it: 08-20 weekdays, 09-17 weekends, closed on holidays."""
    data: dict[str, Any] = {"item_id": "regional_hours", "holidays": "closed"}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        weekend = day in ("sat", "sun")
        data[f"{day}-0-opens"] = "09:00" if weekend else "08:00"
        data[f"{day}-0-closes"] = "17:00" if weekend else "20:00"
        data[f"{day}-1-opens"] = data[f"{day}-1-closes"] = ""
    data["holiday_windows-0-opens"] = data["holiday_windows-0-closes"] = ""
    data["holiday_windows-1-opens"] = data["holiday_windows-1-closes"] = ""
    return {**data, **changes}


def rule_post(**changes: Any) -> dict[str, Any]:
    data = {"item_id": "", "description": "", "enabled": "y", "position": "", "interpreter": "",
            "schedule": "", "schedule_state": "open", "day": "", "queue": "", "waiting_at_least": "",
            "expected_wait_at_least": "", "action": "enqueue", "provider": "", "max_wait_seconds": "",
            "overflow": "", "number": "", "text_en": "", "text_fr": "", "language": "",
            "after_seconds": ""}
    return {**data, **changes}


# ---- who may use them -------------------------------------------------------------------


@pytest.mark.parametrize("path", FORM_PAGES)
def test_form_pages_are_for_admins(app: Flask, path: str) -> None:
    assert client_for(app, None).get(BASE + path).status_code == 302
    assert client_for(app, "specialist").get(BASE + path).status_code == 403
    assert client_for(app, "planner").get(BASE + path).status_code == 403
    assert client_for(app, "admin").get(BASE + path).status_code == 200


@pytest.mark.parametrize("path", FORM_POSTS)
@pytest.mark.parametrize("role", ["specialist", "planner"])
def test_form_writes_are_403_for_other_roles(app: Flask, path: str, role: str) -> None:
    resp = client_for(app, role).post(BASE + path, data=provider_post())
    assert resp.status_code == 403
    assert untouched(app)


def test_forms_refuse_a_missing_csrf_token_and_save_with_it(csrf_app: Flask) -> None:
    client = client_for(csrf_app, "admin")
    resp = client.post(f"{BASE}/providers/north", data=provider_post(max_wait_seconds="300"))
    assert resp.status_code == 400 and "The form expired" in resp.get_data(as_text=True)
    assert client.post(f"{BASE}/rules/after-hours/move/up").status_code == 400
    assert client.post(f"{BASE}/providers/north/delete").status_code == 400
    assert untouched(csrf_app)
    token = token_from(client.get(f"{BASE}/providers/north").get_data(as_text=True))
    resp = client.post(f"{BASE}/providers/north",
                       data=provider_post(max_wait_seconds="300", csrf_token=token))
    assert resp.status_code == 302
    assert by_id(draft(csrf_app), "providers", "north")["max_wait_seconds"] == 300
    token = token_from(client.get(f"{BASE}/rules").get_data(as_text=True))
    assert client.post(f"{BASE}/rules/after-hours/move/up", data={"csrf_token": token}).status_code == 302
    assert [r["id"] for r in draft(csrf_app)["rules"]][-2:] == ["after-hours", "south_west-in-hours"]


# ---- providers --------------------------------------------------------------------------


def test_provider_form_saves_audits_and_shows_the_draft_check(app: Flask, admin: FlaskClient) -> None:
    page = admin.get(f"{BASE}/providers/north").get_data(as_text=True)
    assert 'value="211 North contact centre"' in page and '<option selected value="east">' in page
    resp = admin.post(f"{BASE}/providers/north", data=provider_post(
        name="211 Nord-Nord", max_wait_seconds="300", overflow="central", languages=["fr"]))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/routing/providers")
    north = by_id(draft(app), "providers", "north")
    assert north == {"id": "north", "name": "211 Nord-Nord", "name_fr": "211 Nord", "city": "Thunder Bay",
                     "queue": "211-north",
                     "languages": ["fr"], "overflow": "central", "max_wait_seconds": 300}
    entry = audit_entries(app)[-1]
    assert entry.action == "draft.providers" and entry.actor == "admin@example.org"
    assert {"path": "providers[north].max_wait_seconds", "before": 600, "after": 300} in entry.changes
    listing = admin.get(f"{BASE}/providers").get_data(as_text=True)
    assert "Provider &#39;north&#39; saved to the draft." in listing and "Draft check" in listing
    assert "rule &#39;north-in-hours&#39; sends en callers to &#39;north&#39;" in listing  # a warning now


def test_provider_add_then_delete(app: Flask, admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/providers/new", data=provider_post(
        item_id="mobile", name="Mobile team", name_fr="", city="", queue="", languages=["en"],
        overflow=""))
    assert resp.status_code == 302
    assert by_id(draft(app), "providers", "mobile") == {
        "id": "mobile", "name": "Mobile team", "name_fr": "", "city": "", "queue": "211-mobile",
        "languages": ["en"],
        "overflow": None, "max_wait_seconds": 600}
    assert admin.post(f"{BASE}/providers/mobile/delete", data=CONFIRM).status_code == 302
    assert "mobile" not in [p["id"] for p in draft(app)["providers"]]


def test_invalid_provider_shows_errors_keeps_input_and_changes_nothing(app: Flask,
                                                                       admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/providers/north", data=provider_post(
        name="Typed name kept", max_wait_seconds="0", languages=[], overflow="nowhere"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Number must be between 1 and 86400" in page and "pick at least one" in page
    assert "Not a valid choice" in page and 'value="Typed name kept"' in page
    assert 'aria-invalid="true"' in page
    assert untouched(app)


def test_provider_overflow_loop_is_refused_by_the_overflow_field(app: Flask, admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/providers/backup", data=provider_post(
        item_id="backup", name="211 Ontario backup line", queue="211-backup", overflow="central"))
    assert resp.status_code == 400
    assert "overflow cycle: backup -&gt; central -&gt; backup" in resp.get_data(as_text=True)
    assert untouched(app)


def test_provider_in_use_cannot_be_deleted_or_renamed(app: Flask, admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/providers/backup/delete", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Provider &#39;backup&#39; not deleted: it is still used by provider &#39;central&#39; " \
           "(overflow), provider &#39;after_hours&#39; (overflow); change those first." in page
    resp = admin.post(f"{BASE}/providers/north", data=provider_post(item_id="far_north"))
    assert resp.status_code == 400
    assert "cannot rename &#39;north&#39;: it is still used by region &#39;north&#39;, " \
           "rule &#39;north-in-hours&#39;; change those first" in resp.get_data(as_text=True)
    assert untouched(app)
    admin.post(f"{BASE}/providers/new", data=provider_post(item_id="spare", name="Spare", overflow=""))
    assert admin.post(f"{BASE}/providers/spare", data=provider_post(
        item_id="spare2", name="Spare", overflow="")).status_code == 302
    assert "spare2" in [p["id"] for p in draft(app)["providers"]]
    assert "spare" not in [p["id"] for p in draft(app)["providers"]]


def test_safe_route_provider_select(app: Flask, admin: FlaskClient) -> None:
    assert admin.post(f"{BASE}/safe-route", data={"provider": "backup"}).status_code == 302
    assert draft(app)["safe_route_provider"] == "backup"
    assert admin.post(f"{BASE}/safe-route", data={"provider": "ghost"}).status_code == 400


# ---- regions ----------------------------------------------------------------------------


def test_region_form_saves_places_and_provider(app: Flask, admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/regions/north", data=region_post(
        name_en="211 North (NW)", provider="east", area_codes="807",
        exchanges="705 522\n705-560", postal_prefixes="p3a, P7", municipalities="Greater Sudbury\nTimmins"))
    assert resp.status_code == 302
    doc = draft(app)
    assert by_id(doc, "regions", "north") == {"id": "north", "name_en": "211 North (NW)",
                                              "name_fr": "211 Nord", "provider": "east"}
    assert doc["geography"] == {
        "area_codes": {"807": "north"}, "exchanges": {"705-522": "north", "705-560": "north"},
        "postal_prefixes": {"P3A": "north", "P7": "north"},
        "municipalities": {"Greater Sudbury": "north", "Timmins": "north"}}
    assert audit_entries(app)[-1].action == "draft.regions"
    page = admin.get(f"{BASE}/regions/north").get_data(as_text=True)
    assert "705-522\n705-560</textarea>" in page and "From the data files" in page
    # A place another region had moves, and the admin is told; dropping a place drops its edit.
    admin.post(f"{BASE}/regions/east", data=region_post(
        item_id="east", name_en="211 East", name_fr="211 Est", provider="east", exchanges="705-522"))
    geography = draft(app)["geography"]
    assert geography["exchanges"] == {"705-522": "east", "705-560": "north"}
    listing = admin.get(f"{BASE}/regions").get_data(as_text=True)
    assert "Moved here: exchanges 705-522 from region &#39;north&#39;." in listing
    admin.post(f"{BASE}/regions/north", data=region_post(area_codes=""))
    assert draft(app)["geography"]["area_codes"] == {}


def test_invalid_region_shows_errors_keeps_input_and_changes_nothing(app: Flask,
                                                                     admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/regions/north", data=region_post(
        name_en="", area_codes="807, 12", postal_prefixes="P3A\nZZZ", municipalities="Kept Town"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "not understood: 12" in page and "not understood: ZZZ" in page
    assert "This field is required." in page and "Kept Town</textarea>" in page
    assert untouched(app)


def test_region_in_use_cannot_be_deleted_but_an_unused_one_can(app: Flask, admin: FlaskClient) -> None:
    page = admin.post(f"{BASE}/regions/north/delete", follow_redirects=True).get_data(as_text=True)
    assert "Region &#39;north&#39; not deleted: it is still used by rule &#39;north-in-hours&#39;" in page
    assert untouched(app)
    admin.post(f"{BASE}/regions/new", data=region_post(item_id="islands", name_en="Islands",
                                                       name_fr="", provider="", area_codes="249"))
    assert by_id(draft(app), "regions", "islands")["name_fr"] == "Islands"
    page = admin.post(f"{BASE}/regions/islands/delete", data=CONFIRM,
                      follow_redirects=True).get_data(as_text=True)
    assert "Its 1 place edit(s) went with it." in page
    doc = draft(app)
    assert "islands" not in [r["id"] for r in doc["regions"]] and doc["geography"]["area_codes"] == {}


# ---- schedules --------------------------------------------------------------------------


def test_schedule_form_saves_weekly_hours(app: Flask, admin: FlaskClient) -> None:
    page = admin.get(f"{BASE}/schedules/regional_hours").get_data(as_text=True)
    assert 'name="sat-0-opens" type="time" value="09:00"' in page
    resp = admin.post(f"{BASE}/schedules/regional_hours", data=schedule_post(**{
        "mon-0-closes": "12:00", "mon-1-opens": "13:00", "mon-1-closes": "20:00",
        "fri-0-opens": "20:00", "fri-0-closes": "02:00", "fri-0-overnight": "y",
        "sat-0-closes": "00:00", "sun-0-opens": "", "sun-0-closes": "", "holidays": "hours",
        "holiday_windows-0-opens": "10:00", "holiday_windows-0-closes": "14:00"}))
    assert resp.status_code == 302
    spec = draft(app)["schedules"]["regional_hours"]
    assert spec["weekly"]["mon"] == [["08:00", "12:00"], ["13:00", "20:00"]]
    assert spec["weekly"]["fri"] == [["20:00", "02:00"]]
    assert spec["weekly"]["sat"] == [["09:00", "24:00"]] and "sun" not in spec["weekly"]
    assert spec["holidays"] == [["10:00", "14:00"]]
    assert audit_entries(app)[-1].action == "draft.schedules"
    page = admin.get(f"{BASE}/schedules").get_data(as_text=True)
    assert "Schedule &#39;regional_hours&#39; saved" in page and "The draft validates" in page
    page = admin.get(f"{BASE}/schedules/regional_hours").get_data(as_text=True)
    assert 'id="fri-0-overnight" name="fri-0-overnight" type="checkbox"' in page  # ticked again


def test_invalid_hours_show_errors_keep_input_and_change_nothing(app: Flask, admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/schedules/regional_hours", data=schedule_post(**{
        "tue-0-opens": "18:00", "tue-0-closes": "09:00", "wed-0-closes": "",
        "thu-0-opens": "08:00", "thu-0-closes": "20:00", "thu-0-overnight": "y",
        "holidays": "hours"}))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "closes before it opens: tick &#39;past midnight&#39; if it runs overnight" in page
    assert "give both times, or neither for closed" in page
    assert "&#39;past midnight&#39; is ticked but it closes the same day" in page
    assert "give the holiday hours below" in page
    assert 'name="tue-0-opens" type="time" value="18:00"' in page
    assert untouched(app)


def test_schedule_add_delete_and_in_use_refusal(app: Flask, admin: FlaskClient) -> None:
    page = admin.post(f"{BASE}/schedules/regional_hours/delete", follow_redirects=True)
    assert "still used by rule &#39;french-in-hours&#39;, rule &#39;central-in-hours&#39;" in \
        page.get_data(as_text=True)
    assert untouched(app)
    resp = admin.post(f"{BASE}/schedules/new", data=schedule_post(
        item_id="always", **{"mon-0-opens": "00:00", "mon-0-closes": "00:00"}))
    assert resp.status_code == 302
    assert draft(app)["schedules"]["always"]["weekly"]["mon"] == [["00:00", "24:00"]]
    assert admin.post(f"{BASE}/schedules/always/delete", data=CONFIRM).status_code == 302
    assert "always" not in draft(app)["schedules"]


def test_a_schedule_the_form_cannot_show_is_left_to_the_json_editor(app: Flask,
                                                                     admin: FlaskClient) -> None:
    three = [["06:00", "08:00"], ["10:00", "12:00"], ["14:00", "16:00"]]
    admin.post(f"{BASE}/draft/schedules", data={
        "document": json.dumps({"split": {"weekly": {"mon": three}}})})
    page = admin.get(f"{BASE}/schedules/split").get_data(as_text=True)
    assert "edit it in the" in page and 'href="/admin/routing/draft/schedules"' in page
    assert 'name="mon-0-opens"' not in page
    resp = admin.post(f"{BASE}/schedules/split", data=schedule_post(item_id="split"))
    assert resp.status_code == 400 and draft(app)["schedules"]["split"]["weekly"]["mon"] == three


# ---- rules ------------------------------------------------------------------------------


def test_rule_form_adds_a_rule_with_every_condition(app: Flask, admin: FlaskClient) -> None:
    resp = admin.post(f"{BASE}/rules/new", data=rule_post(
        item_id="housing-busy", description="Busy housing calls in the north", position="after-hours",
        regions=["north", "east"], languages=["fr"], needs=["housing"], interpreter="no",
        schedule="regional_hours", schedule_state="closed", day="regular", queue="north",
        waiting_at_least="5", expected_wait_at_least="300", no_specialist="y",
        action="enqueue", provider="east", max_wait_seconds="120", overflow="-"))
    assert resp.status_code == 302
    rules = draft(app)["rules"]
    assert [r["id"] for r in rules][-2:] == ["housing-busy", "after-hours"]
    assert rules[-2] == {
        "id": "housing-busy", "description": "Busy housing calls in the north",
        "when": {"regions": ["north", "east"], "languages": ["fr"], "needs": ["housing"],
                 "interpreter": False, "schedule": "regional_hours", "schedule_state": "closed",
                 "day": "regular", "queue": "north", "waiting_at_least": 5,
                 "expected_wait_at_least": 300, "no_specialist": True},
        "then": {"type": "enqueue", "provider": "east", "max_wait_seconds": 120, "overflow": None}}
    entry = audit_entries(app)[-1]
    assert entry.action == "draft.rules" and entry.changes[0]["path"] == "rules[housing-busy]"
    page = admin.get(f"{BASE}/rules").get_data(as_text=True)
    assert "Rule &#39;housing-busy&#39; saved to the draft." in page and "The draft validates" in page


def test_rule_form_edits_each_action(app: Flask, admin: FlaskClient) -> None:
    admin.post(f"{BASE}/rules/north-in-hours", data=rule_post(
        item_id="north-in-hours", regions=["north"], schedule="regional_hours", action="transfer",
        number="(416) 392-2489", provider="north"))
    assert by_id(draft(app), "rules", "north-in-hours")["then"] == {"type": "transfer",
                                                                    "number": "+14163922489"}
    admin.post(f"{BASE}/rules/new", data=rule_post(
        item_id="flood-notice", position="french-in-hours", action="message",
        text_en="Flood warning.", text_fr="Alerte d'inondation.", enabled=""))
    rule = draft(app)["rules"][0]
    assert rule == {"id": "flood-notice", "enabled": False, "when": {},
                    "then": {"type": "message", "text_en": "Flood warning.",
                             "text_fr": "Alerte d'inondation."}}
    admin.post(f"{BASE}/rules/flood-notice", data=rule_post(
        item_id="mandarin", interpreter="yes", action="interpreter", language="cmn"))
    doc = draft(app)
    assert doc["rules"][0] == {"id": "mandarin", "when": {"interpreter": True},
                               "then": {"type": "interpreter", "language": "cmn"}}
    assert "flood-notice" not in [r["id"] for r in doc["rules"]]
    admin.post(f"{BASE}/rules/mandarin", data=rule_post(
        item_id="north-callback", regions=["north"], languages=["en"], action="callback",
        after_seconds="240"))
    assert draft(app)["rules"][0] == {"id": "north-callback",
                                      "when": {"regions": ["north"], "languages": ["en"]},
                                      "then": {"type": "callback", "after_seconds": 240}}


@pytest.mark.parametrize(("changes", "message", "field"), [
    ({"action": "transfer", "number": "12345"},
     "transfers to &#39;12345&#39;, which is not a valid phone number", "number"),
    ({"action": "enqueue", "provider": ""}, "enqueue needs a provider", "provider"),
    ({"action": "message", "text_en": "", "text_fr": ""}, "a message needs text_en or text_fr",
     "text_en"),
    ({"action": "message", "text_en": "Busy", "waiting_at_least": "3"},
     "has a live queue condition but no queue", "queue"),
    ({"action": "callback", "after_seconds": ""}, "a callback needs after_seconds", "after_seconds"),
    ({"action": "callback", "after_seconds": "20000"}, "at most 14400", "after_seconds"),
    ({"action": "enqueue", "provider": "north", "waiting_at_least": "-1"},
     "Number must be at least 0", "waiting_at_least"),
    ({"item_id": "central-in-hours", "action": "enqueue", "provider": "north"},
     "&#39;central-in-hours&#39; is already used", "item_id"),
])
def test_invalid_rule_is_refused_by_its_field(app: Flask, admin: FlaskClient, changes: dict[str, str],
                                              message: str, field: str) -> None:
    data = rule_post(**{"item_id": "typed-rule", "description": "Kept description", **changes})
    resp = admin.post(f"{BASE}/rules/new", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert f'<span class="error" id="{field}-error">' in page and message in page
    assert 'value="Kept description"' in page
    assert untouched(app)


def test_rule_move_up_and_down_is_audited_as_a_reorder(app: Flask, admin: FlaskClient) -> None:
    ids = [r["id"] for r in draft(app)["rules"]]
    assert admin.post(f"{BASE}/rules/east-in-hours/move/up").status_code == 302
    moved = [r["id"] for r in draft(app)["rules"]]
    assert moved.index("east-in-hours") == ids.index("east-in-hours") - 1
    entry = audit_entries(app)[-1]
    assert entry.action == "draft.rules" and entry.changes[0]["path"] == "rules order"
    admin.post(f"{BASE}/rules/east-in-hours/move/down")
    assert [r["id"] for r in draft(app)["rules"]] == ids
    page = admin.post(f"{BASE}/rules/{ids[0]}/move/up", follow_redirects=True).get_data(as_text=True)
    assert "is already first" in page and [r["id"] for r in draft(app)["rules"]] == ids
    assert admin.post(f"{BASE}/rules/{ids[0]}/move/sideways").status_code == 404
    assert admin.post(f"{BASE}/rules/ghost/move/up").status_code == 404


def test_rule_delete_shows_the_hole_it_opens(app: Flask, admin: FlaskClient) -> None:
    page = admin.post(f"{BASE}/rules/after-hours/delete", data=CONFIRM,
                      follow_redirects=True).get_data(as_text=True)
    assert "Rule &#39;after-hours&#39; deleted from the draft." in page
    assert "stop publishing" in page and "no route for" in page
    assert "after-hours" not in [r["id"] for r in draft(app)["rules"]]
    assert audit_entries(app)[-1].changes[0]["path"] == "rules[after-hours]"


def test_json_editor_is_still_there_and_the_forms_read_what_it_wrote(app: Flask,
                                                                      admin: FlaskClient) -> None:
    admin.post(f"{BASE}/draft/safe_route_provider", data={"document": '"backup"'})
    page = admin.get(f"{BASE}/providers").get_data(as_text=True)
    assert '<option selected value="backup">' in page
    assert "Edit safe_route_provider as JSON" in admin.get(
        f"{BASE}/draft/safe_route_provider").get_data(as_text=True)
