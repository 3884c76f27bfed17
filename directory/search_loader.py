"""Loading the search index from the database, and keeping one per process up to date.

The index is built at start-up (`warm`, before gunicorn forks with --preload) and by the
process that imports or edits services (`refresh`); other workers notice the shared directory
version move and rebuild in a background thread, answering from the index they have until
the new one is ready (`config.versioned_cache`, the cache the rules and bulletins use too).
No specialist's search waits for a build.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import time
from time import perf_counter
from typing import Any

from flask import Flask
from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.database import session_scope
from config.versioned_cache import VersionedCache
from directory import version
from directory.models import (
    Accessibility,
    Address,
    HolidaySchedule,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceTaxonomy,
    TaxonomyTerm,
)
from directory.parsing import language_codes, prose
from directory.search_index import DocData, Searcher, SearchIndex
from directory.synonyms import edited
from directory.vocabulary import vocabulary, with_entries

EXTENSION_KEY = "directory_search_index"
log = logging.getLogger(__name__)


def _minutes(value: time | None) -> int | None:
    if value is None:
        return None
    if (value.hour, value.minute) == (23, 59):
        return 24 * 60
    return value.hour * 60 + value.minute


def _weekly_spans(weekday: int, start: int, end: int) -> list[tuple[int, int, int]]:
    """An opening as same-day spans: one closing past midnight runs on into the next day."""
    if end > start:
        return [(weekday, start, end)]
    spans = [(weekday, start, 24 * 60)]
    if end > 0:
        spans.append((weekday % 7 + 1, 0, end))
    return spans


def _attach_holidays(db: Session, docs: dict[int, DocData],
                     targets: Callable[[int | None, int | None], list[int]],
                     near: Callable[[Any, Any], Any]) -> None:
    for service_id, location_id, closed, opens, closes, first, last in db.execute(near(select(
            HolidaySchedule.service_id, HolidaySchedule.location_id, HolidaySchedule.closed,
            HolidaySchedule.opens_at, HolidaySchedule.closes_at, HolidaySchedule.start_date,
            HolidaySchedule.end_date), HolidaySchedule)):
        start, end = (None, None) if closed else (_minutes(opens), _minutes(closes))
        for target in targets(service_id, location_id):
            docs[target].holidays.append((first, last, start, end))


def format_address(row: Address) -> str:
    parts = [row.address_1, row.address_2, row.city, row.state_province, row.postal_code]
    return ", ".join(p.strip() for p in parts if p and p.strip())


def load_docs(db: Session, ids: list[int] | None = None) -> tuple[list[DocData], dict[str, str]]:
    """The services' search facts (all, or those with `ids`: the PostgreSQL engine loads
    them a batch at a time, so a million services never sit in memory at once)."""
    docs: dict[int, DocData] = {}
    stmt = (select(Service.id, Service.source, Service.source_id, Service.name,
                   Service.alternate_name, Service.description, Service.region,
                   Organization.name)
            .outerjoin(Organization, Service.organization_id == Organization.id)
            .order_by(Service.id))
    for pk, source, sid, name, alt, desc, region, org in db.execute(
            stmt if ids is None else stmt.where(Service.id.in_(ids))):
        docs[pk] = DocData(pk=pk, source=source, source_id=sid, name=name, organization=org,
                           alternate_name=alt, description=prose(desc), region=region)
    names = dict(db.execute(select(TaxonomyTerm.code, TaxonomyTerm.name)).all())
    links = (select(ServiceTaxonomy.service_id, TaxonomyTerm.code)
             .join(TaxonomyTerm, ServiceTaxonomy.taxonomy_id == TaxonomyTerm.id)
             .order_by(ServiceTaxonomy.id))
    for service_id, code in db.execute(
            links if ids is None else links.where(ServiceTaxonomy.service_id.in_(ids))):
        docs[service_id].taxonomy.append(code)
    _attach_location_facts(db, docs, ids)
    return list(docs.values()), names


def _only(stmt: Any, column: Any, keys: Collection[int] | None) -> Any:
    """`stmt` narrowed to rows whose `column` is in `keys` (None: every row)."""
    return stmt if keys is None else stmt.where(column.in_(list(keys)))


def _attach_location_facts(db: Session, docs: dict[int, DocData],
                           ids: list[int] | None = None) -> None:
    at: dict[int, list[int]] = defaultdict(list)
    first_location: dict[int, int] = {}
    for at_service, at_location in db.execute(_only(select(
            ServiceAtLocation.service_id, ServiceAtLocation.location_id)
            .order_by(ServiceAtLocation.id), ServiceAtLocation.service_id, ids)):
        at[at_location].append(at_service)
        first_location.setdefault(at_service, at_location)

    def targets(service_id: int | None, location_id: int | None) -> list[int]:
        if service_id is not None:
            return [service_id] if service_id in docs else []
        return at.get(location_id or -1, [])

    def near(stmt: Any, model: Any) -> Any:
        """Rows of the batch's services or of their locations (every row without `ids`)."""
        if ids is None:
            return stmt
        return stmt.where(or_(model.service_id.in_(ids), model.location_id.in_(list(at))))

    for service_id, location_id, text in db.execute(near(select(
            ServiceLanguage.service_id, ServiceLanguage.location_id, ServiceLanguage.language),
            ServiceLanguage)):
        for target in targets(service_id, location_id):
            docs[target].languages.update(language_codes(text))
    for (location_id,) in db.execute(_only(select(Accessibility.location_id).distinct(),
                                           Accessibility.location_id, None if ids is None else at)):
        for target in at.get(location_id, []):
            docs[target].accessible = True
    for service_id, location_id, weekday, opens, closes in db.execute(near(select(
            Schedule.service_id, Schedule.location_id, Schedule.weekday, Schedule.opens_at,
            Schedule.closes_at), Schedule)):
        start, end = _minutes(opens), _minutes(closes)
        if start is None or end is None:
            continue
        for target in targets(service_id, location_id):
            docs[target].schedules.extend(_weekly_spans(weekday, start, end))
    _attach_holidays(db, docs, targets, near)
    for service_id, area in db.execute(_only(select(ServiceArea.service_id,
                                                    ServiceArea.service_area),
                                             ServiceArea.service_id, ids)):
        docs[service_id].areas.append(area)
    _attach_contacts(db, docs, at, first_location, ids)


def _attach_contacts(db: Session, docs: dict[int, DocData], at: dict[int, list[int]],
                     first_location: dict[int, int], ids: list[int] | None = None) -> None:
    for address in db.scalars(_only(select(Address).where(Address.kind == "physical")
                                    .order_by(Address.id), Address.location_id,
                                    None if ids is None else at)):
        for target in at.get(address.location_id, []):
            doc = docs[target]
            if address.city:
                doc.areas.append(address.city)
                doc.city = doc.city or address.city.strip()
            if doc.address is None and first_location.get(target) == address.location_id:
                doc.address = format_address(address)
                doc.city = address.city.strip() if address.city else doc.city
    org_of = {d.pk: d for d in docs.values()}
    by_org: dict[int, list[str]] = defaultdict(list)
    phones = select(Phone.service_id, Phone.location_id, Phone.organization_id,
                    Phone.number).order_by(Phone.id)
    if ids is not None:
        orgs = select(Service.organization_id).where(Service.id.in_(ids))
        phones = phones.where(or_(Phone.service_id.in_(ids), Phone.location_id.in_(list(at)),
                                  Phone.organization_id.in_(orgs)))
    for service_id, location_id, org_id, number in db.execute(phones):
        if service_id is not None and service_id in org_of:
            _add_phone(docs[service_id], number)
        elif location_id is not None:
            for target in at.get(location_id, []):
                _add_phone(docs[target], number)
        elif org_id is not None:
            by_org[org_id].append(number)
    if by_org:  # (no IN of the organizations: at 1M there are more than a statement takes)
        for service_id, org_id in db.execute(_only(
                select(Service.id, Service.organization_id)
                .where(Service.organization_id.is_not(None)), Service.id, ids)):
            for number in by_org.get(org_id, ()):
                _add_phone(docs[service_id], number)


def _add_phone(doc: DocData, number: str) -> None:
    if number not in doc.phones and len(doc.phones) < 4:
        doc.phones.append(number)


def build_index(db: Session) -> SearchIndex:
    """The index of the directory's services, with the admins' latest synonyms laid over the
    files' (a save bumps the directory version, so every worker rebuilds with them)."""
    docs, names = load_docs(db)
    entries = edited(db)
    return SearchIndex(docs, names, with_entries(entries) if entries else vocabulary())


def on_postgres(app: Flask) -> bool:
    """Whether searches are answered by PostgreSQL (`SEARCH_ENGINE=postgres`)."""
    return bool(app.extensions["settings"].search_engine == "postgres")


def build_pg(db: Session, engine: Engine) -> Searcher:
    """The PostgreSQL engine's state: the vocabulary with the admins' synonyms, the codes."""
    from directory.search_pg import PgSearch, load_state

    entries = edited(db)
    return PgSearch(engine, load_state(db, with_entries(entries) if entries else vocabulary()))


def _build_for(app: Flask) -> Searcher:
    session: Session = app.extensions["db_sessionmaker"]()
    try:
        if on_postgres(app):
            return build_pg(session, app.extensions["db_engine"])
        return build_index(session)
    finally:
        session.close()


def _empty() -> Searcher:
    return SearchIndex([], {})


def search_cache() -> VersionedCache[Searcher]:
    """The worker's index, following the directory counter; rebuilt in the background."""
    return VersionedCache("search-index", version.VERSION_KEY, background=True)


def _cache(app: Flask) -> VersionedCache[Searcher]:
    return app.extensions.setdefault(EXTENSION_KEY, search_cache())  # type: ignore[no-any-return]


def has_index(app: Flask) -> bool:
    """Whether this process holds an index (warmed at start or built since)."""
    return _cache(app).held is not None


def refresh(app: Flask) -> Searcher:
    """Build this process's index now, at the version current before the build started.

    Called at start (`warm`) and by the process that imported or edited services, so the
    caller that changed the directory pays for the build, never a specialist's search. A
    database without the directory tables yet (before `flask db upgrade`) gives an empty
    index, not held: the next search tries again.
    """
    started = perf_counter()
    index = _cache(app).refresh(app.extensions["store"], lambda: _build_for(app), fallback=_empty)
    log.info("search index (%s): %d services in %.1fs",
             app.extensions["settings"].search_engine, getattr(index, "n", 0),
             perf_counter() - started)
    return index


def warm(app: Flask) -> None:
    """Build the index at start-up (before gunicorn forks its workers with --preload, so
    they share its arrays copy-on-write). On PostgreSQL, first fill the engine's tables if
    they are behind the directory (a first start, a switch of engine)."""
    if on_postgres(app):
        _sync_if_behind(app)
    refresh(app)


def _sync_if_behind(app: Flask) -> None:
    from directory.search_sync import in_step, rebuild_unbounded

    try:
        with session_scope(app) as db:
            behind = not in_step(db)
        if behind:  # (minutes at a million services: beyond the app's bound on a statement)
            started = perf_counter()
            count = rebuild_unbounded(app.extensions["settings"].database_url)
            log.info("search tables: %d services indexed in %.1fs", count,
                     perf_counter() - started)
    except SQLAlchemyError:
        log.warning("search tables not checked (database not ready?)", exc_info=True)


def index_for(app: Flask) -> Searcher:
    """This process's index for `app`. When the shared directory version has moved (another
    process imported), the search answers from the index it has while a background thread
    rebuilds; only a process that holds none builds in line. With the database or Redis
    down, the index it has stands."""
    cache = _cache(app)
    if cache.held is None:
        log.warning("search index built on a search: warm it at start (SEARCH_WARM_START)")
    return cache.get(app.extensions["store"], lambda: _build_for(app), fallback=_empty)
