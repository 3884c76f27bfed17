"""The directory back out as an HSDS datapackage (CSV tables + datapackage.json), folder or zip.

Ids are the records' source ids, so a package exported from one source imports back onto the
same records; child rows without a source id get a stable derived one.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import (
    Accessibility,
    Address,
    Eligibility,
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

DAYS = ("", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M") if value is not None else ""


def tables(db: Session, source: str | None) -> dict[str, tuple[list[str], list[list[Any]]]]:
    def only(model: Any) -> Any:
        stmt = select(model)
        return stmt.where(model.source == source) if source else stmt

    orgs = {o.id: o for o in db.scalars(only(Organization))}
    services = {s.id: s for s in db.scalars(only(Service))}
    locations = {loc.id: loc for loc in db.scalars(only(Location))}

    def sid(mapping: dict[int, Any], pk: int | None) -> str:
        return mapping[pk].source_id if pk in mapping else ""

    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    out["organizations"] = (["id", "name", "alternate_name", "description", "email", "url"],
                            [[o.source_id, o.name, o.alternate_name, o.description, o.email, o.url]
                             for o in orgs.values()])
    out["services"] = (["id", "organization_id", "name", "alternate_name", "description", "url",
                        "email", "status", "interpretation_services", "application_process",
                        "wait_time", "fees"],
                       [[s.source_id, sid(orgs, s.organization_id), s.name, s.alternate_name,
                         s.description, s.url, s.email, s.status, s.interpretation_services,
                         s.application_process, s.wait_time, s.fees] for s in services.values()])
    out["locations"] = (["id", "organization_id", "name", "alternate_name", "description",
                         "transportation", "latitude", "longitude"],
                        [[loc.source_id, sid(orgs, loc.organization_id), loc.name,
                          loc.alternate_name, loc.description, loc.transportation, loc.latitude,
                          loc.longitude] for loc in locations.values()])
    out["services_at_location"] = (["id", "service_id", "location_id", "description"], [
        [r.source_id or f"sal-{r.id}", sid(services, r.service_id), sid(locations, r.location_id),
         r.description] for r in db.scalars(select(ServiceAtLocation))
        if r.service_id in services])
    out["physical_addresses"] = (["id", "location_id", "attention", "address_1", "address_2",
                                  "city", "region", "state_province", "postal_code", "country"], [
        [a.source_id or f"addr-{a.id}", sid(locations, a.location_id), a.attention, a.address_1,
         a.address_2, a.city, a.region, a.state_province, a.postal_code, a.country]
        for a in db.scalars(select(Address).where(Address.kind == "physical"))
        if a.location_id in locations])
    out["phones"] = (["id", "location_id", "service_id", "organization_id", "number", "extension",
                      "type", "language", "description"], [
        [p.source_id or f"phone-{p.id}", sid(locations, p.location_id),
         sid(services, p.service_id), sid(orgs, p.organization_id), p.number, p.extension, p.type,
         p.language, p.description] for p in db.scalars(select(Phone))
        if p.service_id in services or p.location_id in locations or p.organization_id in orgs])
    out["regular_schedules"] = (["id", "service_id", "location_id", "weekday", "opens_at",
                                 "closes_at"], [
        [r.source_id or f"sched-{r.id}", sid(services, r.service_id),
         sid(locations, r.location_id), DAYS[r.weekday], _hhmm(r.opens_at), _hhmm(r.closes_at)]
        for r in db.scalars(select(Schedule))
        if r.service_id in services or r.location_id in locations])
    out["languages"] = (["id", "service_id", "location_id", "language"], [
        [r.source_id or f"lang-{r.id}", sid(services, r.service_id),
         sid(locations, r.location_id), r.language] for r in db.scalars(select(ServiceLanguage))
        if r.service_id in services or r.location_id in locations])
    out["eligibility"] = (["id", "service_id", "eligibility"], [
        [r.source_id or f"elig-{r.id}", sid(services, r.service_id), r.eligibility]
        for r in db.scalars(select(Eligibility)) if r.service_id in services])
    out["service_areas"] = (["id", "service_id", "service_area", "description"], [
        [r.source_id or f"area-{r.id}", sid(services, r.service_id), r.service_area, r.description]
        for r in db.scalars(select(ServiceArea)) if r.service_id in services])
    out["accessibility_for_disabilities"] = (["id", "location_id", "accessibility", "details"], [
        [r.source_id or f"acc-{r.id}", sid(locations, r.location_id), r.accessibility, r.details]
        for r in db.scalars(select(Accessibility)) if r.location_id in locations])
    codes = {t.id: t for t in db.scalars(select(TaxonomyTerm))}
    out["taxonomy"] = (["id", "name", "parent_id", "parent_name", "vocabulary"], [
        [t.code, t.name, t.parent_code, t.parent_name, t.vocabulary] for t in codes.values()])
    out["services_taxonomy"] = (["id", "service_id", "taxonomy_id", "taxonomy_detail"], [
        [f"st-{r.id}", sid(services, r.service_id), codes[r.taxonomy_id].code, r.detail]
        for r in db.scalars(select(ServiceTaxonomy)) if r.service_id in services])
    return out


RESOURCE_NAMES = {
    "organizations": "organization", "services": "service", "locations": "location",
    "services_at_location": "service_at_location", "physical_addresses": "physical_address",
    "phones": "phone", "regular_schedules": "regular_schedule", "languages": "language",
    "eligibility": "eligibility", "service_areas": "service_area",
    "accessibility_for_disabilities": "accessibility_for_disabilities", "taxonomy": "taxonomy",
    "services_taxonomy": "service_taxonomy",
}


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()


def export(app: Flask, path: Path, source: str | None = None) -> dict[str, int]:
    with app.extensions["db_sessionmaker"]() as db:
        data = tables(db, source)
    files = {f"{name}.csv": _csv(*content) for name, content in data.items()}
    descriptor = {"name": "human_services_data", "title": "2-1-1 services directory (HSDS)",
                  "profile": "tabular-data-package",
                  "resources": [{"name": RESOURCE_NAMES[name], "path": f"{name}.csv",
                                 "format": "csv", "mediatype": "text/csv",
                                 "schema": {"fields": [{"name": f} for f in header],
                                            "primaryKey": "id"}}
                                for name, (header, _rows) in data.items()]}
    files["datapackage.json"] = json.dumps(descriptor, indent=2)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in files.items():
                archive.writestr(name, content)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (path / name).write_text(content, encoding="utf-8")
    return {name: len(rows) for name, (_header, rows) in data.items()}
