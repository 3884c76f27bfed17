"""The routing admin pages: admins only, CSRF on every form, and they do what they say."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from routing.models import Bulletin, RuleSetVersion
from tests.test_admin_routing_api import add_users, session_user_id

PAGES = ["/admin/routing/", "/admin/routing/draft", "/admin/routing/draft/rules",
         "/admin/routing/closures", "/admin/routing/test", "/admin/routing/audit",
         "/admin/routing/bulletins"]
POSTS = ["/admin/routing/publish", "/admin/routing/discard", "/admin/routing/versions/1/rollback",
         "/admin/routing/draft", "/admin/routing/closures", "/admin/routing/bulletins",
         "/admin/routing/bulletins/1/delete", "/admin/routing/closures/0/delete"]


def client_for(app: Flask, role: str | None) -> FlaskClient:
    """A test client signed in as `role` (users are created on first use in this app)."""
    from accounts.models import User

    db = app.extensions["db_sessionmaker"]()
    ids = {role: uid for role, uid in db.execute(select(User.role, User.id))} or add_users(db)
    db.close()
    client = app.test_client()
    if role:
        with client.session_transaction() as session:
            session["_user_id"] = session_user_id(app, ids[role])
            session["_fresh"] = True
    return client


def token_from(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match
    return match.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in_and_the_admin_role(app: Flask, path: str) -> None:
    resp = client_for(app, None).get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client_for(app, "specialist").get(path).status_code == 403
    assert client_for(app, "planner").get(path).status_code == 403
    assert client_for(app, "admin").get(path).status_code == 200


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("role", ["specialist", "planner"])
def test_page_writes_are_403_for_other_roles(app: Flask, path: str, role: str) -> None:
    resp = client_for(app, role).post(path, data={"note": "x", "document": "{}"})
    assert resp.status_code == 403


def test_admin_sees_the_overview_and_staff_links(app: Flask) -> None:
    client = client_for(app, "admin")
    page = client.get("/admin/routing/").get_data(as_text=True)
    assert "The draft validates" in page and "Validate and publish" in page
    home = client.get("/").get_data(as_text=True)
    assert "Routing rules" in home and "Emergency bulletins" in home


def test_page_forms_refuse_a_missing_csrf_token(csrf_app: Flask) -> None:
    client = client_for(csrf_app, "admin")
    assert client.post("/admin/routing/publish", data={"note": "no token"}).status_code == 400
    assert client.post("/admin/routing/bulletins", data={"title": "x"}).status_code == 200
    db = csrf_app.extensions["db_sessionmaker"]()
    assert db.scalar(select(RuleSetVersion)) is None and db.scalar(select(Bulletin)) is None
    db.close()


def test_publish_with_the_token_then_roll_back(csrf_app: Flask) -> None:
    client = client_for(csrf_app, "admin")
    token = token_from(client.get("/admin/routing/").get_data(as_text=True))
    resp = client.post("/admin/routing/publish", data={"note": "first", "csrf_token": token})
    assert resp.status_code == 302
    page = client.get("/admin/routing/").get_data(as_text=True)
    assert "Published version 1." in page and "version 1</strong>" in page
    client.post("/admin/routing/publish", data={"note": "second", "csrf_token": token})
    resp = client.post("/admin/routing/versions/1/rollback", data={"csrf_token": token})
    assert resp.status_code == 302
    page = client.get("/admin/routing/").get_data(as_text=True)
    assert "version 3 is a copy of version 1" in page


def test_edit_draft_shows_json_errors_and_saves(app: Flask) -> None:
    client = client_for(app, "admin")
    bad = client.post("/admin/routing/draft/safe_route_provider", data={"document": "{oops"})
    assert bad.status_code == 400 and "not valid JSON" in bad.get_data(as_text=True)
    client.post("/admin/routing/draft/safe_route_provider", data={"document": '"ghost"'})
    page = client.get("/admin/routing/").get_data(as_text=True)
    assert "safe_route_provider &#39;ghost&#39; is not a provider" in page


def test_closure_day_form_adds_to_the_draft_and_the_test_page_sees_it(app: Flask) -> None:
    client = client_for(app, "admin")
    client.post("/admin/routing/closures", data={"day": "2026-11-24", "name": "Staff day",
                                                 "regions": "north"})
    assert "Staff day" in client.get("/admin/routing/closures").get_data(as_text=True)
    page = client.post("/admin/routing/test", data={
        "caller": "+18075550123", "at": "2026-11-24T11:00", "language": "en", "need": "food",
        "region": "", "interpreter": "", "rules": "draft"}).get_data(as_text=True)
    assert "closure day: Staff day" in page and "after_hours" in page


def test_bulletin_form_creates_a_bulletin(app: Flask) -> None:
    client = client_for(app, "admin")
    resp = client.post("/admin/routing/bulletins", data={
        "title": "Flood", "text_en": "Flood warning.", "text_fr": "Alerte d'inondation.",
        "starts_at": "2026-11-23T09:00", "ends_at": "", "regions": "north, east"})
    assert resp.status_code == 302
    db = app.extensions["db_sessionmaker"]()
    bulletin = db.scalar(select(Bulletin))
    assert bulletin is not None and bulletin.regions == ["east", "north"]
    db.close()
    audit = client.get("/admin/routing/audit").get_data(as_text=True)
    assert "bulletin.create" in audit and "admin@example.org" in audit
