"""The admin pages and the JSON API refuse the same requests with the same status and reason
(one translation, `routing.web.refusals`), and a refused write stores nothing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.store.models import RuleSetVersion
from tests.test_admin_routing_api import auth, draft
from tests.test_admin_routing_pages import client_for


def test_a_missing_version_is_404_on_the_page_and_in_the_api(app: Flask) -> None:
    page = client_for(app, "admin").post("/admin/routing/versions/42/rollback")
    api = app.test_client().post("/api/admin/routing/versions/42/rollback", headers=auth("admin"))
    assert page.status_code == api.status_code == 404
    assert api.get_json() == {"error": "no version 42"}
    assert "no version 42" in page.get_data(as_text=True)


def test_a_draft_that_does_not_validate_is_422_on_both_and_not_published(app: Flask,
                                                                          db: Session) -> None:
    admin_page = client_for(app, "admin")
    api = app.test_client()
    rules = [r for r in draft(api)["rules"] if r["id"] != "after-hours"]
    api.put("/api/admin/routing/draft/rules", json=rules, headers=auth("admin"))
    page = admin_page.post("/admin/routing/publish", data={"note": "holes"})
    answer = api.post("/api/admin/routing/publish", json={}, headers=auth("admin"))
    assert page.status_code == answer.status_code == 422
    reason = answer.get_json()["error"]
    assert reason.startswith("the rule set does not validate: no route for region")
    assert answer.get_json()["validation"]["ok"] is False
    html = page.get_data(as_text=True)
    assert "the rule set does not validate" in html and "no route for region central" in html
    assert db.scalars(select(RuleSetVersion)).all() == []


def test_an_unknown_rule_set_to_explain_is_404_on_both(app: Flask) -> None:
    page = client_for(app, "admin").post("/admin/routing/test", data={"rules": "9", "language": "en"})
    api = app.test_client().post("/api/admin/routing/explain", json={"rules": "9"},
                                 headers=auth("admin"))
    assert page.status_code == api.status_code == 404
    assert "no rule set &#39;9&#39;" in page.get_data(as_text=True) or \
        "no rule set '9'" in page.get_data(as_text=True)
    assert api.get_json()["error"].startswith("no rule set '9'")
