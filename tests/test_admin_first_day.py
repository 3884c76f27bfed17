"""The admin pages as a newcomer meets them (issue 10): a test call refuses what the rules do not
know by the field, the draft check counts its problems truly, each role starts on its own page
after signing in, and a refused or missing page is a page of the site with a way back."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.ontario import data_files
from routing.engine.coverage import check_coverage
from routing.engine.ruleset import parse_ruleset
from routing.engine.validation import validate
from routing.store.versions import draft_document
from tests.test_admin_routing_api import add_users, auth
from tests.test_admin_routing_pages import client_for

TEST = "/admin/routing/test"
TUESDAY_AFTERNOON = "2026-11-24T14:00"


def call(**fields: str) -> dict[str, str]:
    base = {"caller": "+17055550123", "at": TUESDAY_AFTERNOON, "language": "en", "need": "",
            "region": "", "interpreter": "", "rules": "draft"}
    return {**base, **fields}


def field_error(page: str, name: str) -> str | None:
    match = re.search(rf'<span class="error" id="{name}-error">([^<]*)</span>', page)
    return match.group(1) if match else None


@pytest.mark.parametrize(("field", "value"), [("region", "Sudbury"), ("need", "sleep"),
                                              ("language", "de"), ("interpreter", "klingon")])
def test_a_test_call_refuses_what_the_rules_do_not_know_beside_the_field(
        app: Flask, field: str, value: str) -> None:
    resp = client_for(app, "admin").post(TEST, data=call(**{field: value}))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    error = field_error(page, field)
    assert error is not None and value in error, page
    assert "Decision" not in page and "after-hours" not in page  # no answer under the refusal
    assert f'aria-describedby="{field}-error"' in page


def test_the_api_refuses_an_unknown_region_naming_the_field(app: Flask) -> None:
    db = app.extensions["db_sessionmaker"]()
    add_users(db)
    db.close()
    resp = app.test_client().post("/api/admin/routing/explain", headers=auth("admin"),
                                  json={"from": "+17055550123", "region": "Sudbury",
                                        "at": TUESDAY_AFTERNOON})
    body = resp.get_json()
    assert resp.status_code == 400 and "Sudbury" in body["errors"]["region"]
    assert body["error"].startswith("region: ")


def test_a_known_region_is_tested_and_shown_by_name(app: Flask) -> None:
    page = client_for(app, "admin").post(TEST, data=call(region="north")).get_data(as_text=True)
    db = app.extensions["db_sessionmaker"]()
    doc, _base = draft_document(db)
    db.close()
    region = next(r for r in doc["regions"] if r["id"] == "north")
    provider = next(p for p in doc["providers"] if p["id"] == region["provider"])
    assert "Decision (draft)" in page
    assert f"region <strong>{region['name_en']}</strong>" in page
    assert f"at <strong>{provider['name']}</strong>" in page
    assert f'<option selected value="north">{region["name_en"]}</option>' in page


def test_the_draft_check_counts_every_problem_not_the_shortened_list(app: Flask) -> None:
    admin = client_for(app, "admin")
    page = admin.post("/admin/routing/rules/after-hours/delete", data={"confirm": "yes"},
                      follow_redirects=True).get_data(as_text=True)
    db = app.extensions["db_sessionmaker"]()
    doc, _base = draft_document(db)
    db.close()
    report = validate(doc, data_files())
    holes = check_coverage(parse_ruleset(doc)).holes
    others = [p for p in report.errors if p.code != "coverage"]
    true_count = len(holes) + len(others)
    assert true_count > 60  # more than either list shows, or this test proves nothing
    assert f"{true_count} problems stop publishing" in page
    assert report.to_dict()["error_count"] == true_count
    listed = page.count('<li class="error">no route for')
    assert f"… and {true_count - listed - len(others)} more" in page


@pytest.mark.parametrize(("role", "endpoint"), [
    ("specialist", "directory_views.lookup"), ("planner", "survey_dashboard.dashboard"),
    ("admin", "routing_admin.overview"), ("supervisor", "directory_views.lookup")])
def test_each_role_starts_on_its_own_page_after_sign_in(app: Flask, role: str,
                                                         endpoint: str) -> None:
    from accounts.models import User

    db = app.extensions["db_sessionmaker"]()
    user = User(email=f"{role}-start@example.org", name=role, role=role, password_hash="")
    user.set_password("correct horse battery staple")
    db.add(user)
    db.commit()
    db.close()
    client = app.test_client()
    resp = client.post("/login", data={"email": f"{role}-start@example.org",
                                       "password": "correct horse battery staple"})
    with app.test_request_context():
        from flask import url_for
        expected = url_for(endpoint)
    assert resp.status_code == 302 and resp.headers["Location"] == expected
    assert client.get(expected).status_code == 200
    asked = client.post("/login?next=/", data={"email": f"{role}-start@example.org",
                                              "password": "correct horse battery staple"})
    assert asked.headers["Location"] == "/"  # a page asked for still wins


def test_forbidden_and_missing_pages_are_styled_with_a_way_back(app: Flask) -> None:
    specialist = client_for(app, "specialist")
    forbidden = specialist.get("/admin/routing/")
    page = forbidden.get_data(as_text=True)
    assert forbidden.status_code == 403 and forbidden.mimetype == "text/html"
    with app.test_request_context():
        from flask import url_for
        lookup = url_for("directory_views.lookup")
    assert "You cannot open this page" in page and f'href="{lookup}"' in page
    assert "<nav>" in page and "Sign out" in page  # the site's own frame, not Flask's bare page
    missing = specialist.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    signed_out = app.test_client().get("/no/such/page").get_data(as_text=True)
    assert 'href="/login"' in signed_out


def test_json_apis_still_answer_json_errors(app: Flask) -> None:
    db = app.extensions["db_sessionmaker"]()
    add_users(db)
    db.close()
    client = app.test_client()
    denied = client.get("/api/admin/routing/draft", headers=auth("specialist"))
    assert denied.status_code == 403 and "error" in denied.get_json()
    missing = client.get("/api/no/such/thing")
    assert missing.status_code == 404 and "error" in missing.get_json()


# ---- discard and delete ask first; times, names and the audit's diff -------------------------

def hidden_fields(page: str) -> dict[str, str]:
    """What the confirmation page's form posts (its hidden inputs)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def audit_count(app: Flask) -> int:
    from sqlalchemy import func, select

    from routing.store.models import RoutingAudit
    db = app.extensions["db_sessionmaker"]()
    count = int(db.scalar(select(func.count(RoutingAudit.id))) or 0)
    db.close()
    return count


def snapshot(app: Flask) -> tuple[object, ...]:
    from sqlalchemy import select

    from routing.store.models import Bulletin
    db = app.extensions["db_sessionmaker"]()
    doc, _base = draft_document(db)
    bulletins = [b.id for b in db.scalars(select(Bulletin))]
    db.close()
    return doc, bulletins, audit_count(app)


def add_closure_and_bulletin(admin: FlaskClient) -> None:
    assert admin.post("/admin/routing/closures", data={
        "day": "2026-12-28", "name": "Staff day", "regions": "north"}).status_code == 302
    assert admin.post("/admin/routing/bulletins", data={
        "title": "Flood", "text_en": "Flood warning.", "text_fr": "Alerte d'inondation.",
        "starts_at": "2026-11-23T09:00", "ends_at": "", "regions": "north, east"}).status_code == 302


@pytest.mark.parametrize("path", ["/admin/routing/discard", "/admin/routing/rules/after-hours/delete",
                                  "/admin/routing/closures/0/delete",
                                  "/admin/routing/bulletins/1/delete",
                                  "/admin/routing/schedules/always/delete"])
def test_discard_and_delete_ask_first_and_only_the_confirmation_acts(app: Flask, path: str) -> None:
    admin = client_for(app, "admin")
    add_closure_and_bulletin(admin)
    if "schedules" in path:  # an unused schedule (a used one is refused before any question)
        assert admin.post("/admin/routing/draft/schedules", data={"document": (
            '{"regional_hours": {"weekly": {"mon": [["08:30", "16:30"]], "tue": [["08:30", "16:30"]],'
            ' "wed": [["08:30", "16:30"]], "thu": [["08:30", "16:30"]], "fri": [["08:30", "16:30"]]},'
            ' "holidays": "closed"}, "always": {"weekly": {}, "holidays": "closed"}}')}).status_code == 302
    before = snapshot(app)
    asked = admin.post(path, data={"note": ""})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and snapshot(app) == before  # nothing changed yet
    assert re.search(r'<button type="submit" class="danger">(Delete|Discard|Remove)[^<]*</button>', page)
    assert "Cancel: keep it" in page and f'action="{path}"' in page
    fields = hidden_fields(page)
    assert fields.get("confirm") == "yes" and "csrf_token" in fields
    done = admin.post(path, data=fields)
    assert done.status_code == 302 and snapshot(app) != before


def test_what_cannot_be_undone_looks_unlike_publish(app: Flask) -> None:
    admin = client_for(app, "admin")
    add_closure_and_bulletin(admin)
    overview = admin.get("/admin/routing/").get_data(as_text=True)
    assert re.search(r'<button type="submit" class="danger">Discard draft', overview)
    assert '<button type="submit">Validate and publish</button>' in overview
    for path, word in [("/admin/routing/rules", "Delete"), ("/admin/routing/providers", "Delete"),
                       ("/admin/routing/regions", "Delete"), ("/admin/routing/schedules", "Delete"),
                       ("/admin/routing/closures", "Remove"), ("/admin/routing/bulletins", "Delete")]:
        page = admin.get(path).get_data(as_text=True)
        buttons = re.findall(rf'<button type="submit"([^>]*)>{word}', page)
        assert buttons and all('class="danger"' in b for b in buttons), path


def test_times_are_local_and_people_and_regions_go_by_name(app: Flask) -> None:
    from config.clock import now
    from config.extensions import local_zone

    admin = client_for(app, "admin")
    add_closure_and_bulletin(admin)
    assert admin.post("/admin/routing/publish", data={"note": "first"}).status_code == 302
    with app.app_context():
        at = now()
        local = at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M %Z")
        utc = at.astimezone(UTC).strftime("%H:%M")
    assert local.split()[1] != utc  # the test clock is not at UTC, or this proves nothing
    overview = admin.get("/admin/routing/").get_data(as_text=True)
    assert f"published {local} by Admin" in overview and "UTC" not in overview
    audit = admin.get("/admin/routing/audit").get_data(as_text=True)
    assert local in audit.replace(":00 E", " E")  # shown with seconds
    bulletins = admin.get("/admin/routing/bulletins").get_data(as_text=True)
    assert "2026-11-23 09:00 EST" in bulletins and "UTC" not in bulletins
    assert "211 East, 211 North" in bulletins or "211 North, 211 East" in bulletins
    closures = admin.get("/admin/routing/closures").get_data(as_text=True)
    assert "<td>211 North</td>" in closures


def test_the_audit_log_shows_what_changed_readably(app: Flask) -> None:
    import json

    admin = client_for(app, "admin")
    db = app.extensions["db_sessionmaker"]()
    doc, _base = draft_document(db)
    db.close()
    providers = [dict(p, max_wait_seconds=300) if p["id"] == "north" else p for p in doc["providers"]]
    old_wait = next(p["max_wait_seconds"] for p in doc["providers"] if p["id"] == "north")
    admin.post("/admin/routing/draft/providers", data={"document": json.dumps(providers)})
    admin.post("/admin/routing/rules/after-hours/delete", data={"confirm": "yes"})
    page = admin.get("/admin/routing/audit").get_data(as_text=True)
    assert (f"<code>providers[north].max_wait_seconds</code> changed:\n        "
            f"<del>{old_wait}</del> → <ins>300</ins>") in page
    removed = re.search(r"<code>rules\[after-hours\]</code> removed</div><pre class=\"diff\">(.*?)</pre>",
                        page, re.S)
    assert removed, page
    lines = re.findall(r'<span class="del">- ([^<]*)</span>', removed.group(1))
    assert "&#34;id&#34;: &#34;after-hours&#34;," in [line.strip() for line in lines]
