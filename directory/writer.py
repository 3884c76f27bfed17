"""Writing a checked `Package` to the database in one transaction, updating in place.

Organizations, services, locations and taxonomy terms are matched on (source, source id) and
updated or created with bulk statements; their child rows (phones, schedules, languages...)
are replaced whole, since most exports give them no stable id. Services are never deleted
here, so referrals made on past calls keep pointing at them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from config.ontario import Deployment
from directory.models import (
    Accessibility,
    Address,
    Eligibility,
    HolidaySchedule,
    Location,
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
from directory.package import Package, Row, Summary

CHUNK = 2000


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def write_package(db: Session, package: Package, dep: Deployment) -> Summary:
    """Upsert the package (regions derived from `dep`, the live deployment); the caller commits."""
    summary = Summary(skipped=dict(package.skipped))
    orgs = _upsert(db, Organization, package.source, package.organizations, summary, "organizations")
    for record in package.services:
        record["organization_id"] = orgs.get(record.get("organization_sid") or "")
    for record in package.locations:
        record["organization_id"] = orgs.get(record.get("organization_sid") or "")
    _derive_regions(package, dep)
    services = _upsert(db, Service, package.source, package.services, summary, "services")
    locations = _upsert(db, Location, package.source, package.locations, summary, "locations")
    codes = _upsert_taxonomy(db, package.taxonomy, package.service_taxonomy, summary)
    _clear_children(db, list(services.values()), list(locations.values()), list(orgs.values()))
    ids = {"service_sid": ("service_id", services), "location_sid": ("location_id", locations),
           "organization_sid": ("organization_id", orgs)}
    for model, rows, kind in (
        (ServiceAtLocation, package.service_at_location, "service_at_location"),
        (Address, package.addresses, "addresses"), (Phone, package.phones, "phones"),
        (Schedule, package.schedules, "schedules"), (HolidaySchedule, package.holidays, "holidays"),
        (ServiceLanguage, package.languages, "languages"),
        (ServiceArea, package.service_areas, "service_areas"),
        (Eligibility, package.eligibility, "eligibility"),
        (Accessibility, package.accessibility, "accessibility"),
    ):
        _insert_children(db, model, [_resolve(row, ids) for row in rows], summary, kind)
    links = [{"service_id": services[row["service_sid"]], "taxonomy_id": codes[row["code"]],
              "detail": row.get("detail")} for row in _unique_links(package.service_taxonomy)]
    _insert_children(db, ServiceTaxonomy, links, summary, "service_taxonomy")
    return summary


def _resolve(row: Row, ids: dict[str, tuple[str, dict[str, int]]]) -> Row:
    out = {k: v for k, v in row.items() if k not in ids}
    for key, (column, mapping) in ids.items():
        if key in row:
            out[column] = mapping.get(row[key]) if row[key] else None
    return out


def _unique_links(rows: list[Row]) -> list[Row]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for row in rows:
        key = (row["service_sid"], row["code"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def _columns(model: type[Any]) -> set[str]:
    return {c.key for c in model.__table__.columns}


def _upsert(db: Session, model: type[Any], source: str, records: list[Row], summary: Summary,
            kind: str) -> dict[str, int]:
    """(source, source_id) -> primary key, after bulk-updating known and inserting new records."""
    columns = _columns(model) - {"id"}
    existing = _ids_of(db, model, source, [r["source_id"] for r in records])
    new, known = [], []
    for record in records:
        values = {k: v for k, v in record.items() if k in columns} | {"source": source}
        if record["source_id"] in existing:
            known.append(values | {"id": existing[record["source_id"]]})
        else:
            new.append(values)
    for part in chunks(new):
        db.execute(insert(model), list(part))
    for part in chunks(known):
        db.execute(update(model), list(part))
    summary.created[kind] = len(new)
    summary.updated[kind] = len(known)
    if not new:
        return existing
    return existing | _ids_of(db, model, source, [v["source_id"] for v in new])


def _ids_of(db: Session, model: type[Any], source: str, source_ids: list[str]) -> dict[str, int]:
    """(source id -> primary key) of the package's own records only, so a package written in
    batches (the generator's million services) never reads the whole source each batch."""
    found: dict[str, int] = {}
    for part in chunks(sorted(set(source_ids))):
        found.update(db.execute(select(model.source_id, model.id).where(
            model.source == source, model.source_id.in_(list(part)))).all())
    return found


def _upsert_taxonomy(db: Session, terms: list[Row], links: list[Row],
                     summary: Summary) -> dict[str, int]:
    """Terms are shared by code across sources; codes used but not described get a stub term."""
    existing = dict(db.execute(select(TaxonomyTerm.code, TaxonomyTerm.id)).all())
    terms = list({term["code"]: term for term in reversed(terms)}.values())  # first one wins
    described = {term["code"] for term in terms}
    stubs = {row["code"] for row in links} - described - set(existing)
    new = [t for t in terms if t["code"] not in existing]
    new += [{"code": code, "name": code} for code in sorted(stubs)]
    known = [{k: v for k, v in t.items() if k != "only_if_new"} | {"id": existing[t["code"]]}
             for t in terms if t["code"] in existing and not t.get("only_if_new")]
    new = [{k: v for k, v in t.items() if k != "only_if_new"} for t in new]
    for part in chunks(new):
        db.execute(insert(TaxonomyTerm), list(part))
    for part in chunks(known):
        db.execute(update(TaxonomyTerm), list(part))
    summary.created["taxonomy_terms"] = len(new)
    summary.updated["taxonomy_terms"] = len(known)
    return dict(db.execute(select(TaxonomyTerm.code, TaxonomyTerm.id)).all())


def _clear_children(db: Session, services: list[int], locations: list[int], orgs: list[int]) -> None:
    for service_model in (ServiceTaxonomy, Eligibility, ServiceArea):
        for part in chunks(services):
            db.execute(delete(service_model).where(service_model.service_id.in_(part)))
    for location_model in (Address, Accessibility):
        for part in chunks(locations):
            db.execute(delete(location_model).where(location_model.location_id.in_(part)))
    for either_model in (ServiceLanguage, Schedule, HolidaySchedule, ServiceAtLocation, Phone):
        for part in chunks(services):
            db.execute(delete(either_model).where(either_model.service_id.in_(part)))
        for part in chunks(locations):
            db.execute(delete(either_model).where(either_model.location_id.in_(part)))
    for part in chunks(orgs):
        db.execute(delete(Phone).where(or_(Phone.organization_id.in_(part))))


def _insert_children(db: Session, model: type[Any], rows: list[Row], summary: Summary,
                     kind: str) -> None:
    columns = _columns(model) - {"id"}
    values = [{k: v for k, v in row.items() if k in columns} for row in rows]
    for part in chunks(values):
        db.execute(insert(model), list(part))
    summary.created[kind] = len(values)


ONTARIO = frozenset({"on", "ont", "ont.", "ontario"})
CANADA = frozenset({"ca", "can", "canada"})


def in_ontario(state_province: str | None, country: str | None) -> bool | None:
    """Whether the address says it is in Ontario: False for another province or a US state
    or another country, None when it names neither (then the town and postal code decide)."""
    province = (state_province or "").strip().lower()
    nation = (country or "").strip().lower()
    if province:
        return province in ONTARIO and (not nation or nation in CANADA)
    if nation:
        return False if nation not in CANADA else None
    return None


def ontario_region(dep: Deployment, city: str | None, postal_code: str | None,
                   state_province: str | None = None, country: str | None = None) -> str | None:
    """The Ontario 211 region of an address, from its municipality or postal prefix.

    Only an address that is (or may be) in Ontario gets one: Marathon, Florida is not in
    211 North although Marathon, Ontario is, and a town name alone cannot tell them apart."""
    if in_ontario(state_province, country) is False:
        return None
    if city and city.strip().lower() in dep.municipalities:
        return dep.municipalities[city.strip().lower()]
    postal = (postal_code or "").replace(" ", "").upper()
    for length in (3, 2):
        if len(postal) >= length and postal[:length] in dep.postal_prefixes:
            return dep.postal_prefixes[postal[:length]]
    return None


def _derive_regions(package: Package, dep: Deployment) -> None:
    """A service with no region gets the region of the first Ontario address it is offered at."""
    region_of_location: dict[str, str] = {}
    for address in package.addresses:
        region = ontario_region(dep, address.get("city"), address.get("postal_code"),
                                address.get("state_province"), address.get("country"))
        if region:
            region_of_location.setdefault(address["location_sid"], region)
    if not region_of_location:
        return
    by_service: dict[str, str] = {}
    for link in package.service_at_location:
        region = region_of_location.get(link["location_sid"])
        if region:
            by_service.setdefault(link["service_sid"], region)
    for record in package.services:
        if not record.get("region"):
            record["region"] = by_service.get(record["source_id"])
