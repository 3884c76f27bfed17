"""The services directory in the shape of Open Referral HSDS, and the referrals given on calls.

Every imported record keeps where it came from: `source` names the dataset (e.g. the folder
it was imported from) and `source_id` the record's id there, so re-imports update in place and
exports give the same ids back. Child rows (phones, schedules, languages...) are replaced
whole when their parent is re-imported, so they keep their source id only for reference.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.database import Base, UTCDateTime

SOURCE_LEN = 64
ID_LEN = 80


class Organization(Base):
    __tablename__ = "dir_organizations"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LEN))
    source_id: Mapped[str] = mapped_column(String(ID_LEN))
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)


class Service(Base):
    __tablename__ = "dir_services"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LEN), index=True)
    source_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("dir_organizations.id", ondelete="SET NULL"), index=True)
    organization_source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    wait_time: Mapped[str | None] = mapped_column(Text)
    fees: Mapped[str | None] = mapped_column(Text)
    required_documents: Mapped[str | None] = mapped_column(Text)
    hours_text: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(32), index=True)  # Ontario region id

    organization: Mapped[Organization | None] = relationship(lazy="joined")


class Location(Base):
    __tablename__ = "dir_locations"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LEN))
    source_id: Mapped[str] = mapped_column(String(ID_LEN))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("dir_organizations.id", ondelete="SET NULL"), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class ServiceAtLocation(Base):
    __tablename__ = "dir_service_at_location"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("dir_services.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(
        ForeignKey("dir_locations.id", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(Text)


class Address(Base):
    __tablename__ = "dir_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("dir_locations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # physical | postal
    attention: Mapped[str | None] = mapped_column(Text)
    address_1: Mapped[str | None] = mapped_column(Text)
    address_2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    state_province: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)


class AtServiceOrLocation:
    """HSDS lets phones, schedules and languages hang off a service, a location, or both."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("dir_services.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("dir_locations.id", ondelete="CASCADE"), index=True)


class Phone(AtServiceOrLocation, Base):
    __tablename__ = "dir_phones"

    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("dir_organizations.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(Text)
    extension: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class Schedule(AtServiceOrLocation, Base):
    """A regular opening: weekday 1 (Monday) to 7 (Sunday); times in the directory's local time."""

    __tablename__ = "dir_schedules"

    weekday: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    description: Mapped[str | None] = mapped_column(Text)


class HolidaySchedule(AtServiceOrLocation, Base):
    __tablename__ = "dir_holiday_schedules"

    closed: Mapped[bool] = mapped_column(Boolean, default=True)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)


class ServiceLanguage(AtServiceOrLocation, Base):
    __tablename__ = "dir_languages"

    language: Mapped[str] = mapped_column(Text)  # as the source wrote it


class ServiceArea(Base):
    __tablename__ = "dir_service_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("dir_services.id", ondelete="CASCADE"), index=True)
    service_area: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class TaxonomyTerm(Base):
    """A taxonomy term, keyed by its code (AIRS/211 codes are the same in every dataset)."""

    __tablename__ = "dir_taxonomy_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(ID_LEN), unique=True)
    name: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(String(ID_LEN))
    parent_name: Mapped[str | None] = mapped_column(Text)
    vocabulary: Mapped[str | None] = mapped_column(Text)


class ServiceTaxonomy(Base):
    __tablename__ = "dir_service_taxonomy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("dir_services.id", ondelete="CASCADE"), index=True)
    taxonomy_id: Mapped[int] = mapped_column(
        ForeignKey("dir_taxonomy_terms.id", ondelete="CASCADE"), index=True)
    detail: Mapped[str | None] = mapped_column(Text)


class Eligibility(Base):
    __tablename__ = "dir_eligibility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("dir_services.id", ondelete="CASCADE"), index=True)
    eligibility: Mapped[str] = mapped_column(Text)


class Accessibility(Base):
    __tablename__ = "dir_accessibility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("dir_locations.id", ondelete="CASCADE"), index=True)
    accessibility: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)


class Referral(Base):
    """A service a specialist referred the caller to, on a given call."""

    __tablename__ = "dir_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("dir_services.id"), index=True)
    specialist_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    need: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    service: Mapped[Service] = relationship()


class SearchFeedback(Base):
    """A search that failed the specialist, counted: the query text only (phone numbers and
    call ids scrubbed, see `directory.feedback`), never who called or on which call.

    `kind` is "no_results" (nothing matched the words) or "wrong_result" (a specialist marked
    the service as not what they needed; `service_source` / `service_source_id` name it, empty
    for "no_results" so the unique key holds on every database)."""

    __tablename__ = "dir_search_feedback"
    __table_args__ = (UniqueConstraint("kind", "query", "service_source", "service_source_id",
                                       name="uq_dir_search_feedback_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(String(200))
    service_source: Mapped[str] = mapped_column(String(SOURCE_LEN), default="")
    service_source_id: Mapped[str] = mapped_column(String(ID_LEN), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SynonymVersion(Base):
    """One saved state of the admins' synonyms (phrases a caller says -> taxonomy codes and
    record words), laid over `directory/data/synonyms.json`. Every save is a new numbered
    row, never changed, with who saved it, when and what changed: the versions are the audit
    trail, and the highest number is what the search index uses."""

    __tablename__ = "dir_synonym_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    entries: Mapped[list[dict[str, list[str]]]] = mapped_column(JSON, default=list)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    saved_by: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
