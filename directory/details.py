"""Everything a specialist reads out about one service, gathered from its HSDS tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from directory.models import (
    Accessibility,
    Address,
    Eligibility,
    HolidaySchedule,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceTaxonomy,
    TaxonomyTerm,
)
from directory.parsing import prose
from directory.search_loader import format_address

DAY_NAMES = ("", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hhmm(value: Any) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def service_details(db: Session, service: Service) -> dict[str, Any]:
    location_ids = list(db.scalars(select(ServiceAtLocation.location_id)
                                   .where(ServiceAtLocation.service_id == service.id)))
    at_place = or_(Phone.service_id == service.id, Phone.location_id.in_(location_ids))
    if service.organization_id is not None:
        at_place = or_(at_place, Phone.organization_id == service.organization_id)
    phones = db.scalars(select(Phone).where(at_place).order_by(Phone.id))
    schedules = db.scalars(select(Schedule).where(or_(
        Schedule.service_id == service.id, Schedule.location_id.in_(location_ids)))
        .order_by(Schedule.weekday, Schedule.opens_at))
    languages = db.scalars(select(ServiceLanguage.language).where(or_(
        ServiceLanguage.service_id == service.id, ServiceLanguage.location_id.in_(location_ids))))
    org = service.organization
    return {
        "id": service.source_id, "source": service.source, "name": service.name,
        "alternate_name": service.alternate_name,
        "description": prose(service.description),  # rows imported before the markup was cleaned
        "organization": {"id": org.source_id, "name": org.name, "url": org.url,
                         "email": org.email} if org else None,
        "url": service.url, "email": service.email, "status": service.status,
        "region": service.region,
        "phones": [{"number": p.number, "extension": p.extension, "type": p.type,
                    "description": p.description} for p in phones],
        "hours": [{"weekday": DAY_NAMES[s.weekday], "opens_at": _hhmm(s.opens_at),
                   "closes_at": _hhmm(s.closes_at), "note": s.description} for s in schedules],
        "hours_text": service.hours_text,
        "holiday_hours": _holiday_hours(db, service.id, location_ids),
        "locations": _locations(db, location_ids),
        "eligibility": list(db.scalars(select(Eligibility.eligibility)
                                       .where(Eligibility.service_id == service.id))),
        "languages": sorted(set(languages)),
        "fees": service.fees, "application_process": service.application_process,
        "required_documents": service.required_documents, "wait_time": service.wait_time,
        "interpretation_services": service.interpretation_services,
        "service_areas": list(db.scalars(select(ServiceArea.service_area)
                                         .where(ServiceArea.service_id == service.id))),
        "taxonomy": [{"code": code, "name": name} for code, name in db.execute(
            select(TaxonomyTerm.code, TaxonomyTerm.name)
            .join(ServiceTaxonomy, ServiceTaxonomy.taxonomy_id == TaxonomyTerm.id)
            .where(ServiceTaxonomy.service_id == service.id).order_by(ServiceTaxonomy.id))],
    }


def _holiday_hours(db: Session, service_id: int, location_ids: list[int]) -> list[dict[str, Any]]:
    """Dates whose hours differ from the week's (closures, shortened days), soonest first."""
    rows = db.scalars(select(HolidaySchedule).where(or_(
        HolidaySchedule.service_id == service_id, HolidaySchedule.location_id.in_(location_ids)))
        .order_by(HolidaySchedule.start_date))
    return [{"from": h.start_date.isoformat(), "to": h.end_date.isoformat(), "closed": h.closed,
             "opens_at": None if h.closed else _hhmm(h.opens_at),
             "closes_at": None if h.closed else _hhmm(h.closes_at)} for h in rows]


def _locations(db: Session, location_ids: list[int]) -> list[dict[str, Any]]:
    if not location_ids:
        return []
    out = []
    for location in db.scalars(select(Location).where(Location.id.in_(location_ids))):
        addresses = db.scalars(select(Address).where(Address.location_id == location.id))
        access = db.scalars(select(Accessibility.accessibility)
                            .where(Accessibility.location_id == location.id))
        out.append({"id": location.source_id, "name": location.name,
                    "addresses": [{"kind": a.kind, "text": format_address(a)} for a in addresses],
                    "accessibility": list(access), "transportation": location.transportation,
                    "latitude": location.latitude, "longitude": location.longitude})
    return out
