"""`directory generate`: distinct services (not copies of the Miami records), written a batch
at a time, searchable by both engines once written."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.extensions import deployment
from config.settings import Settings
from directory import generator
from directory.hsds_reader import read_hsds
from directory.models import Organization, Phone, Service, ServiceAtLocation
from directory.search_index import Filters
from directory.search_loader import index_for
from directory.shared_data import miami_dir
from tests.directory_helpers import SEARCH_ENGINES, shared_data, with_engine


@pytest.fixture(params=SEARCH_ENGINES)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return with_engine(settings, request.param)


def test_generated_services_are_distinct_and_not_copies(app: Flask) -> None:
    shared_data()
    with app.app_context():
        package = generator.build_package(600, deployment())
    names = [s["name"] for s in package.services]
    descriptions = [s["description"] for s in package.services]
    assert len(set(names)) >= 0.95 * len(names)
    assert len(set(descriptions)) >= 0.99 * len(descriptions)
    assert len({o["name"] for o in package.organizations}) >= 0.8 * len(package.organizations)
    miami = read_hsds(miami_dir(), "miami")
    assert not set(names) & {s["name"] for s in miami.services}
    assert not set(descriptions) & {s.get("description") for s in miami.services}
    assert len({a["city"] for a in package.addresses}) >= 50  # spread over many places
    with app.app_context():
        again = generator.build_package(600, deployment())
    assert [s["name"] for s in again.services] == names  # seeded


def test_generation_is_written_in_batches_and_searchable(app: Flask, db: Session,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    shared_data()
    monkeypatch.setattr(generator, "BATCH", 40)
    summary = generator.generate(app, 130)
    assert summary.total("services") == 130
    assert db.scalar(select(func.count()).select_from(Service)) == 130
    assert db.scalar(select(func.count()).select_from(Organization)) == 33  # 4 services each
    orphans = select(func.count()).select_from(Service).where(Service.organization_id.is_(None))
    assert db.scalar(orphans) == 0
    placed = select(func.count(ServiceAtLocation.service_id.distinct()))
    assert db.scalar(placed) == 130
    assert db.scalar(select(func.count(Phone.service_id.distinct()))) == 130
    last = db.scalars(select(Service).where(Service.source_id == "gen-0000129")).one()
    found = index_for(app).search(last.name, Filters(region=last.region), 20)["results"]
    assert "gen-0000129" in [r["id"] for r in found]
    assert index_for(app).n == 130
