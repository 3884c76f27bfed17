"""Shared helpers for the directory tests: a small directory, staff users, the shared data."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from accounts.models import User
from config.settings import SEARCH_ENGINES, Settings
from directory.importer import write
from directory.package import Package
from directory.shared_data import shared_data_dir

PASSWORD = "a-long-password-1"


def with_engine(settings: Settings, engine: str) -> Settings:
    """`settings` searching with `engine`; the PostgreSQL engine is skipped on SQLite.

    Search test modules override the `settings` fixture with `params=SEARCH_ENGINES`, so
    each behavioural search test runs against both engines in the PostgreSQL pass."""
    if engine == "postgres" and settings.is_sqlite:
        pytest.skip("the PostgreSQL search engine needs DATABASE_URL on PostgreSQL "
                    "(the CI's PostgreSQL pass runs it)")
    return replace(settings, search_engine=engine)


__all__ = ["SEARCH_ENGINES"]


def shared_data() -> Path:
    """The shared datasets; tests skip locally without them, and fail in CI."""
    path = shared_data_dir()
    if not (path / "miami-211-hsds").is_dir():
        if os.environ.get("CI"):
            raise AssertionError(f"shared data missing at {path}")
        pytest.skip(f"no shared data at {path}")
    return path


def add_user(db: Session, email: str, role: str, specialist_id: int | None = None) -> User:
    user = User(email=email, name=email.split("@")[0], role=role, password_hash="",
                specialist_id=specialist_id, active=True)
    user.set_password(PASSWORD)
    db.add(user)
    db.commit()
    return user


def service(package: Package, sid: str, name: str, codes: list[str], *, region: str | None = None,
            description: str | None = None, languages: tuple[str, ...] = ("English",),
            hours: tuple[int, int] | None = None, accessible: bool = False) -> None:
    """One service with its own location, phone, languages, hours (Mon-Fri) and taxonomy."""
    package.services.append({"source_id": sid, "organization_sid": "org-1",
                             "organization_source_id": "org-1", "name": name,
                             "description": description, "region": region})
    package.locations.append({"source_id": f"loc-{sid}", "organization_sid": "org-1",
                              "name": name})
    package.service_at_location.append({"service_sid": sid, "location_sid": f"loc-{sid}"})
    package.addresses.append({"location_sid": f"loc-{sid}", "kind": "physical",
                              "address_1": "1 King St", "city": "Toronto",
                              "postal_code": "M5V 1A1"})
    package.phones.append({"service_sid": sid, "number": f"416-555-0{len(package.phones):03d}"})
    for language in languages:
        package.languages.append({"service_sid": sid, "location_sid": None, "language": language})
    if hours:
        for day in range(1, 6):
            package.schedules.append({"service_sid": sid, "location_sid": None, "weekday": day,
                                      "opens_at": time(hours[0]), "closes_at": time(hours[1])})
    if accessible:
        package.accessibility.append({"location_sid": f"loc-{sid}",
                                      "accessibility": "wheelchair"})
    for code in codes:
        package.service_taxonomy.append({"service_sid": sid, "code": code})


TAXONOMY = {"BD-1800": "Emergency Food", "BD-1800.2000": "Food Pantries",
            "BD-1850": "Food Lines", "BH-3800.7000": "Rent Payment Assistance",
            "NL-6000.2000": "Food Stamps/SNAP", "BH-1800.8500": "Homeless Shelter",
            "LV-1600": "Dental Care"}


def small_directory(app: Flask) -> None:
    """Seven services covering the cases the search tests ask about."""
    package = Package(source="test")
    package.organizations.append({"source_id": "org-1", "name": "Community Services Agency"})
    package.taxonomy = [{"code": c, "name": n} for c, n in TAXONOMY.items()]
    service(package, "pantry", "Eastside Food Pantry", ["BD-1800.2000"], region="east",
            languages=("English", "French"), hours=(9, 17), accessible=True)
    service(package, "pantry-north", "Northern Food Pantry", ["BD-1800.2000"], region="north",
            hours=(18, 21))
    service(package, "rent", "Housing Stability Fund", ["BH-3800.7000"], region="central",
            description="One-time help with rent arrears for tenants facing eviction.")
    service(package, "snap", "Benefits Enrolment Office", ["NL-6000.2000"], region="central")
    service(package, "shelter", "Downtown Shelter", ["BH-1800.8500"], region="central")
    service(package, "dental", "Smile Dental Clinic", ["LV-1600"], region="central_south")
    service(package, "lines", "Soup Line", ["BD-1850"], region="east")
    # Christmas Day closes the east pantry; Christmas Eve the north one opens 10:00-12:00 only.
    package.holidays.append({"service_sid": "pantry", "location_sid": None, "closed": True,
                             "opens_at": None, "closes_at": None,
                             "start_date": date(2026, 12, 25), "end_date": date(2026, 12, 25)})
    package.holidays.append({"service_sid": "pantry-north", "location_sid": None, "closed": False,
                             "opens_at": time(10), "closes_at": time(12),
                             "start_date": date(2026, 12, 24), "end_date": date(2026, 12, 24)})
    # The soup line runs overnight on Saturdays: 20:00 to 02:00 Sunday.
    package.schedules.append({"service_sid": "lines", "location_sid": None, "weekday": 6,
                              "opens_at": time(20), "closes_at": time(2)})
    write(app, package)
