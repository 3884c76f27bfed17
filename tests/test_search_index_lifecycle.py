"""The search index is ready before the first search and follows imports from other workers
without a specialist's search ever building it."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask

from app import create_app
from config.settings import Settings
from config.shared_store import SharedStore
from directory.importer import write
from directory.package import Package
from directory.search_index import Filters, Searcher, SearchIndex
from directory.search_loader import EXTENSION_KEY, index_for, load_docs
from ivr.simulator.cli import SimClock
from tests.directory_helpers import SEARCH_ENGINES, service, small_directory, with_engine


@pytest.fixture(params=SEARCH_ENGINES)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every test here runs against the memory and the PostgreSQL search engine."""
    return with_engine(settings, request.param)


@pytest.fixture
def second_worker(app: Flask, settings: Settings, store: SharedStore,
                  clock: SimClock) -> Iterator[Flask]:
    """Another process's app on the same database and shared store, warmed at start."""
    small_directory(app)
    other = create_app(replace(settings, search_warm_start=True), store=store, clock=clock)
    yield other
    other.extensions["db_engine"].dispose()


def names(index: Searcher, query: str) -> list[str]:
    return [r["id"] for r in index.search(query, Filters(), 5)["results"]]


def test_a_warm_started_app_has_its_index_before_the_first_search(second_worker: Flask) -> None:
    built = second_worker.extensions[EXTENSION_KEY].held.value
    assert built.n == 7
    assert index_for(second_worker) is built  # the search used the start-up index
    assert names(built, "fod pantry")[0] == "pantry"


def test_an_import_elsewhere_is_picked_up_in_the_background(app: Flask,
                                                           second_worker: Flask) -> None:
    before = index_for(second_worker)
    package = Package(source="later")
    package.organizations.append({"source_id": "org-1", "name": "Later Org"})
    service(package, "diapers", "Diaper Bank", [])
    write(app, package)  # the importing process rebuilt its own index in line
    assert names(index_for(app), "diaper bank") == ["diapers"]
    assert index_for(second_worker) is before  # answered at once from the index it had
    for thread in threading.enumerate():
        if thread.name == "search-index-refresh":
            thread.join(timeout=60)
    after = index_for(second_worker)
    assert after is not before and names(after, "diaper bank") == ["diapers"]


def test_warm_start_before_migrations_leaves_an_empty_index(settings: Settings,
                                                            store: SharedStore,
                                                            clock: SimClock, tmp_path) -> None:
    fresh = replace(settings, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
                    search_warm_start=True, search_engine="memory")
    app = create_app(fresh, store=store, clock=clock)
    try:
        assert index_for(app).n == 0
    finally:
        app.extensions["db_engine"].dispose()


def test_a_rebuilt_index_ranks_ties_the_same_whatever_the_load_order(app: Flask) -> None:
    """Another worker or a rebuild may load the services in another order: ties still go by
    name, then database id, so every index answers the same top five for every limit."""
    package = Package(source="ties")
    package.organizations.append({"source_id": "org-1", "name": "Justice Centre"})
    for number in range(1, 41):
        service(package, f"legal-{number:02d}", f"Legal Aid Clinic {number % 7}", [])
    write(app, package)
    built = index_for(app)
    if not isinstance(built, SearchIndex):
        pytest.skip("the memory index's load order; PostgreSQL orders ties in its query "
                    "(test_equal_scores_rank_by_name_then_id_whatever_the_limit runs on both)")
    docs = list(built.docs)
    expected = [r["id"] for r in built.search("legal aid", Filters(), 100)["results"]]
    names_ids = [(built.docs[built.by_source_id[("ties", i)]].name,
                  built.docs[built.by_source_id[("ties", i)]].pk) for i in expected]
    assert names_ids == sorted(names_ids)  # the stated rule: name, then id
    for seed in range(5):
        random.Random(seed).shuffle(docs)
        rebuilt = SearchIndex(docs, built.taxonomy_names)
        for limit in (1, 5, 13, 40, 100):
            got = [r["id"] for r in rebuilt.search("legal aid", Filters(), limit)["results"]]
            assert got == expected[:limit], (seed, limit)


def test_a_batch_of_services_loads_the_same_facts_as_the_whole_directory(app: Flask) -> None:
    """The PostgreSQL engine indexes a batch of services at a time: each batch's facts
    (languages, hours, holidays, areas, phones, address) are those of a whole load."""
    small_directory(app)
    with app.extensions["db_sessionmaker"]() as db:
        whole, _names = load_docs(db)
        by_pk = {d.pk: d for d in whole}
        for batch in ([d.pk for d in whole[:3]], [d.pk for d in whole[3:]], [whole[-1].pk]):
            part, _names = load_docs(db, batch)
            assert part == [by_pk[pk] for pk in batch]
    assert any(d.holidays for d in whole) and any(d.accessible for d in whole)


def test_an_organizations_phone_reaches_its_services_without_one(app: Flask) -> None:
    """A phone on the organization only (HSDS allows it) is each of its services' phone,
    in a whole load and a batch alike (no IN of organizations: at a million there are more
    than one statement takes)."""
    package = Package(source="orgphone")
    package.organizations.append({"source_id": "org-1", "name": "Community Services Agency"})
    service(package, "own", "Has Its Own Phone", [])
    package.services.append({"source_id": "bare", "organization_sid": "org-1",
                             "organization_source_id": "org-1", "name": "Only The Agency's",
                             "description": None, "region": "east"})
    package.phones.append({"source_id": None, "organization_sid": "org-1", "service_sid": None,
                           "location_sid": None, "number": "416-555-0999"})
    write(app, package)
    with app.extensions["db_sessionmaker"]() as db:
        whole, _names = load_docs(db)
        bare = next(d for d in whole if d.name == "Only The Agency's")
        assert "416-555-0999" in bare.phones
        (batch,), _names = load_docs(db, [bare.pk])
        assert batch.phones == bare.phones
