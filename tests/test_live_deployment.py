"""One live deployment: what an admin publishes is what every area sees, with no restart.

A region, a provider, a municipality and a time zone published through the admin API reach
the directory's search filters, the lookup page, an import's region derivation, the needs
report's region filter and page, and the reports' days.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from directory.importer import write
from directory.package import Package
from tests.directory_helpers import service
from tests.test_admin_routing_api import add_users, auth, draft

PASSWORD = "correct horse battery staple"


def publish_muskoka(client: FlaskClient, timezone: str | None = None) -> None:
    doc: dict[str, Any] = draft(client)
    doc["providers"].append({"id": "muskoka_centre", "name": "211 Muskoka Centre",
                             "city": "Bracebridge", "queue": "211-muskoka", "languages": ["en"],
                             "overflow": "central_east", "max_wait_seconds": 300})
    doc["regions"].append({"id": "muskoka", "name_en": "211 Muskoka", "name_fr": "211 Muskoka",
                           "provider": "muskoka_centre"})
    doc["geography"]["municipalities"] = {"Bracebridge": "muskoka"}
    doc["rules"].insert(0, {"id": "muskoka", "when": {"regions": ["muskoka"]},
                            "then": {"type": "enqueue", "provider": "muskoka_centre"}})
    if timezone:
        doc["timezone"] = timezone
    saved = client.put("/api/admin/routing/draft", json=doc, headers=auth("admin"))
    assert saved.status_code == 200, saved.get_json()
    published = client.post("/api/admin/routing/publish", json={"note": "Muskoka"},
                            headers=auth("admin"))
    assert published.status_code == 201, published.get_json()


def sign_in(client: FlaskClient, role: str) -> None:
    resp = client.post("/login", data={"email": f"{role}@example.org", "password": PASSWORD})
    assert resp.status_code == 302


def test_a_published_region_and_provider_reach_the_directory_and_reports(
        app: Flask, client: FlaskClient, db: Session) -> None:
    add_users(db)
    search = "/api/directory/search?q=food&region=muskoka"
    assert client.get(search, headers=auth("specialist")).status_code == 400  # not yet a region
    needs = "/api/reports/needs?from=2026-11-01&to=2026-11-30&region=muskoka"
    assert client.get(needs, headers=auth("planner")).status_code == 400

    publish_muskoka(client)

    # an import now places a Bracebridge address in the published region
    package = Package(source="test")
    package.organizations.append({"source_id": "org-1", "name": "Muskoka Food Share"})
    service(package, "s1", "Muskoka Food Bank", ["BD-1800.2000"])
    package.addresses[-1]["city"] = "Bracebridge"
    write(app, package)
    found = client.get(search, headers=auth("specialist"))
    assert found.status_code == 200, found.get_json()
    assert [r["name"] for r in found.get_json()["results"]] == ["Muskoka Food Bank"]

    assert client.get(needs, headers=auth("planner")).status_code == 200

    specialist = app.test_client()
    sign_in(specialist, "specialist")
    lookup = specialist.get("/directory/lookup").get_data(as_text=True)
    assert '<option value="muskoka">211 Muskoka</option>' in lookup

    planner = app.test_client()
    sign_in(planner, "planner")
    page = planner.get("/needs/reports/?region=muskoka").get_data(as_text=True)
    assert '<option value="muskoka" selected>211 Muskoka</option>' in page


def test_the_published_time_zone_sets_the_reports_days(app: Flask, client: FlaskClient,
                                                       db: Session) -> None:
    add_users(db)
    summary = "/api/reports/summary?from=2026-11-01&to=2026-11-30"
    assert client.get(summary, headers=auth("planner")).get_json()["period"]["timezone"] == \
        "America/Toronto"
    publish_muskoka(client, timezone="America/Winnipeg")
    report = client.get(summary, headers=auth("planner")).get_json()
    assert report["period"]["timezone"] == "America/Winnipeg"
