"""The lookup as a specialist meets it on the first day (issue 10): descriptions without the
source system's markup, result rows that say where each service is, and regions only for
places that are in Ontario."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.ontario import data_files
from directory.hsds_reader import read_hsds
from directory.importer import write
from directory.models import Address, Location, Organization, Service, ServiceAtLocation
from directory.package import Package
from directory.writer import ontario_region
from tests.browser_helpers import ARGS, CHROMIUM, open_signed_in
from tests.directory_helpers import PASSWORD, add_user, shared_data

MARKUP = re.compile(r"#{2,}\s*[A-Z]*\s*#{2,}|#{3,}")


def test_miami_descriptions_lose_their_markup_and_florida_towns_get_no_ontario_region(
        app: Flask, db: Session) -> None:
    path = shared_data() / "miami-211-hsds"
    raw = (path / "data" / "services.csv").read_text(encoding="utf-8", errors="replace")
    assert len(MARKUP.findall(raw)) > 1000  # the source really has it, or this proves nothing
    write(app, read_hsds(path, "miami-211-hsds"))
    for model in (Service, Organization, Location):
        marked = [d for d in db.scalars(select(model.description).where(
            model.description.contains("##"))) if d and MARKUP.search(d)]
        assert marked == [], (model.__name__, marked[:3])
    described = list(db.scalars(select(Service.description).where(
        Service.description.contains("Chai-life Summer Dayz"))))
    assert described and all(d is not None and d == d.strip() and d.endswith("South Florida.")
                             for d in described)
    marathon = list(db.scalars(
        select(Service.region).join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .join(Address, Address.location_id == ServiceAtLocation.location_id)
        .where(Address.city == "Marathon")))
    assert marathon, "the Miami data has services in Marathon, Florida"
    assert all(region is None for region in marathon), marathon


@pytest.mark.parametrize(("city", "postal", "province", "country", "expected"), [
    ("Marathon", "33050", "FL", None, None),  # Marathon, Florida
    ("Marathon", None, "Florida", "US", None),
    ("Marathon", "P0T 2E0", "ON", "Canada", "north"),  # Marathon, Ontario
    ("Marathon", None, "Ontario", None, "north"),
    ("Marathon", None, None, None, "north"),  # nothing says otherwise: the town decides
    ("Ottawa", None, "QC", "CA", None),  # another province
    ("Sudbury", None, None, "USA", None),
])
def test_a_place_gets_a_region_only_in_ontario(city: str, postal: str | None, province: str | None,
                                               country: str | None, expected: str | None) -> None:
    dep = data_files()
    assert dep.municipalities.get(city.lower()) or city == "Ottawa"
    assert ontario_region(dep, city, postal, province, country) == expected


def twelve_pantries(marked: bool = False) -> Package:
    """Twelve services all called "Community Food Pantry", each at its own address; the
    descriptions written as the Miami export has them (as rows imported before the cleaning)."""
    package = Package(source="test")
    package.organizations.append({"source_id": "org-1", "name": "Food Network"})
    for n in range(12):
        sid = f"pantry-{n}"
        description = "Groceries once a week.\n\n###MON###\n###COL###" if marked else None
        package.services.append({"source_id": sid, "organization_sid": "org-1",
                                 "organization_source_id": "org-1", "name": "Community Food Pantry",
                                 "description": description, "region": "central"})
        package.locations.append({"source_id": f"loc-{sid}", "organization_sid": "org-1",
                                  "name": "Community Food Pantry"})
        package.service_at_location.append({"service_sid": sid, "location_sid": f"loc-{sid}"})
        package.addresses.append({"location_sid": f"loc-{sid}", "kind": "physical",
                                  "address_1": f"{10 + n} Main St", "city": f"Town {n}",
                                  "postal_code": "M5V 1A1"})
    return package


@pytest.fixture
def specialist(app: Flask, db: Session, client: FlaskClient) -> FlaskClient:
    add_user(db, "sam@example.org", "specialist")
    resp = client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    assert resp.status_code == 302
    return client


def test_rows_imported_with_markup_are_shown_and_searched_without_it(
        app: Flask, specialist: FlaskClient) -> None:
    write(app, twelve_pantries(marked=True))  # the package bypasses the reader's cleaning
    details = specialist.get("/api/directory/services/pantry-0?source=test").get_json()
    assert details["description"] == "Groceries once a week."
    found = specialist.get("/api/directory/search", query_string={"q": "COL"}).get_json()
    assert found["results"] == []  # the markers are not words of the service
    assert len(specialist.get("/api/directory/search",
                              query_string={"q": "groceries"}).get_json()["results"]) == 12


def test_twelve_same_named_results_say_where_each_is(app: Flask, specialist: FlaskClient) -> None:
    write(app, twelve_pantries())
    results = specialist.get("/api/directory/search", query_string={"q": "food pantry"}).get_json()
    rows = results["results"]
    assert len(rows) == 12 and {r["name"] for r in rows} == {"Community Food Pantry"}
    assert len({r["address"] for r in rows}) == 12
    assert {r["city"] for r in rows} == {f"Town {n}" for n in range(12)}


@pytest.mark.browser
def test_the_lookup_rows_show_each_place(app: Flask, db: Session, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    add_user(db, "sam@example.org", "specialist")
    write(app, twelve_pantries())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{server}/directory/lookup", "sam@example.org", PASSWORD)
        page.fill("#q", "community food pantry")
        rows = page.locator("#results li")
        expect(rows).to_have_count(12)
        texts = rows.all_inner_texts()
        browser.close()
    for n in range(12):
        assert sum(f"{10 + n} Main St, Town {n}" in text for text in texts) == 1, texts


def test_the_reader_keeps_ordinary_hashes(tmp_path: Path) -> None:
    from directory.parsing import prose

    assert prose("Call #1 for intake; apartment #204.") == "Call #1 for intake; apartment #204."
    assert prose("Open daily.\\n\\n##MON##\\n####COL####") == "Open daily."
    assert prose("###COL###") is None
