"""Reading an Open Referral HSDS datapackage (CSV tables + datapackage.json), folder or zip.

Real exports differ from the template: 211 Miami keeps its CSVs in `data/`, adds columns the
descriptor does not list, leaves ids empty on child tables and points some services at
organizations it did not export. We read each table by its CSV header, link what resolves,
count what has nothing to attach to as skipped, and report a row whose link names a record
the package does not contain as bad (file and row number): then nothing is imported.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Container, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from directory.models import ID_LEN
from directory.package import DirectoryImportError, Package, Row
from directory.parsing import (
    clean,
    parse_bool,
    parse_date,
    parse_float,
    parse_time,
    parse_weekday,
    prose,
)

csv.field_size_limit(10_000_000)


class PackageFiles:
    """The files of a datapackage, wherever they sit in the folder or zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None
        names = self.zip.namelist() if self.zip else [
            str(p.relative_to(path).as_posix()) for p in path.rglob("*") if p.is_file()]
        self.names = names

    def find(self, relative: str) -> str | None:
        if relative in self.names:
            return relative
        base = PurePosixPath(relative).name
        matches = sorted((n for n in self.names if PurePosixPath(n).name == base), key=len)
        return matches[0] if matches else None

    def read_bytes(self, name: str) -> bytes:
        if self.zip:
            return self.zip.read(name)
        return (self.path / name).read_bytes()

    def descriptor(self) -> dict[str, Any]:
        name = self.find("datapackage.json")
        if name is None:
            raise DirectoryImportError([f"{self.path}: no datapackage.json"])
        return json.loads(self.read_bytes(name).decode("utf-8-sig"))

    def rows(self, name: str) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, row) with the header as row 1, like a spreadsheet."""
        raw = self.read_bytes(name)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        for index, row in enumerate(csv.DictReader(io.StringIO(text, newline=""))):
            yield index + 2, {(k or "").strip(): (v or "") for k, v in row.items()}


def resource_files(files: PackageFiles) -> dict[str, str]:
    """Resource name -> file in the package, for the tables the descriptor lists and we find."""
    found: dict[str, str] = {}
    for resource in files.descriptor().get("resources", []):
        name = str(resource.get("name", ""))
        target = files.find(str(resource.get("path", "")))
        if name and target:
            found[name] = target
    return found


def read_hsds(path: Path, source: str) -> Package:
    files = PackageFiles(path)
    tables = resource_files(files)
    if "service" not in tables:
        raise DirectoryImportError([f"{path}: the datapackage has no services table"])
    package = Package(source=source)
    reader = _Reader(files, tables, package)
    reader.read_all()
    package.check()
    return package


class _Reader:
    def __init__(self, files: PackageFiles, tables: dict[str, str], package: Package) -> None:
        self.files, self.tables, self.pkg = files, tables, package
        self.orgs: set[str] = set()
        self.services: dict[str, Row] = {}
        self.locations: set[str] = set()
        self.sal: dict[str, tuple[str, str]] = {}
        self.codes: set[str] = set()

    def table(self, resource: str) -> Iterator[tuple[str, int, dict[str, str]]]:
        name = self.tables.get(resource)
        if name is None:
            return
        filename = PurePosixPath(name).name
        for number, row in self.files.rows(name):
            if any(v.strip() for v in row.values()):
                yield filename, number, row

    def read_all(self) -> None:
        for step in (self.read_organizations, self.read_taxonomy, self.read_services,
                     self.read_locations, self.read_service_at_location, self.read_addresses,
                     self.read_phones, self.read_schedules, self.read_holidays,
                     self.read_service_rows, self.read_languages, self.read_accessibility,
                     self.read_service_taxonomy):
            step()

    def _unique_id(self, filename: str, number: int, row: dict[str, str],
                   seen: Container[str]) -> str:
        sid = (row.get("id") or "").strip()
        if not sid:
            self.pkg.bad(filename, number, "no id")
        elif len(sid) > ID_LEN:
            self.pkg.bad(filename, number, f"id longer than {ID_LEN} characters")
            return ""
        elif sid in seen:
            self.pkg.bad(filename, number, f"duplicate id {sid!r}")
            return ""
        return sid

    def read_organizations(self) -> None:
        for filename, number, row in self.table("organization"):
            sid = self._unique_id(filename, number, row, self.orgs)
            name = clean(row.get("name"))
            if not name:
                self.pkg.bad(filename, number, "organization without a name")
            if not sid or not name:
                continue
            self.orgs.add(sid)
            self.pkg.organizations.append({
                "source_id": sid, "name": name, "alternate_name": clean(row.get("alternate_name")),
                "description": prose(row.get("description")), "email": clean(row.get("email")),
                "url": clean(row.get("url"))})

    def read_taxonomy(self) -> None:
        for filename, number, row in self.table("taxonomy"):
            code = clean(row.get("id"))
            if not code:
                self.pkg.bad(filename, number, "no id")
                continue
            if len(code) > ID_LEN:
                self.pkg.bad(filename, number, f"id longer than {ID_LEN} characters")
                continue
            if code in self.codes:  # terms repeated under another facet: the first one wins
                self.pkg.skip("taxonomy terms (repeated code)")
                continue
            self.codes.add(code)
            self.pkg.taxonomy.append({
                "code": code, "name": clean(row.get("name")) or code,
                "parent_code": clean(row.get("parent_id")),
                "parent_name": clean(row.get("parent_name")),
                "vocabulary": clean(row.get("vocabulary"))})

    def read_services(self) -> None:
        for filename, number, row in self.table("service"):
            sid = self._unique_id(filename, number, row, self.services)
            name = clean(row.get("name")) or clean(row.get("alternate_name"))
            if not name:
                self.pkg.bad(filename, number, "service without a name")
            if not sid or not name:
                continue
            org = clean(row.get("organization_id"))
            if org and org not in self.orgs:
                self.pkg.skip("service organization links (organization not in package)")
            record = {
                "source_id": sid, "organization_sid": org if org in self.orgs else None,
                "organization_source_id": org, "name": name,
                "alternate_name": clean(row.get("alternate_name")),
                "description": prose(row.get("description")), "url": clean(row.get("url")),
                "email": clean(row.get("email")), "status": clean(row.get("status")),
                "interpretation_services": clean(row.get("interpretation_services")),
                "application_process": clean(row.get("application_process")),
                "wait_time": clean(row.get("wait_time")), "fees": clean(row.get("fees")),
                "required_documents": None, "hours_text": None, "region": None}
            self.services[sid] = record
            self.pkg.services.append(record)
            for code in (c.strip() for c in (row.get("taxonomy_ids") or "").split(",")):
                if code:
                    self.pkg.service_taxonomy.append({"service_sid": sid, "code": code,
                                                      "detail": None})

    def read_locations(self) -> None:
        for filename, number, row in self.table("location"):
            sid = self._unique_id(filename, number, row, self.locations)
            if not sid:
                continue
            self.locations.add(sid)
            org = clean(row.get("organization_id"))
            self.pkg.locations.append({
                "source_id": sid, "organization_sid": org if org in self.orgs else None,
                "name": clean(row.get("name")), "alternate_name": clean(row.get("alternate_name")),
                "description": prose(row.get("description")),
                "transportation": clean(row.get("transportation")),
                "latitude": parse_float(row.get("latitude")),
                "longitude": parse_float(row.get("longitude"))})

    def _service_ref(self, filename: str, number: int, value: str | None) -> str | None:
        sid = clean(value)
        if sid and sid not in self.services:
            self.pkg.bad(filename, number, f"unknown service_id {sid!r}")
            return None
        return sid

    def _location_ref(self, filename: str, number: int, value: str | None) -> str | None:
        sid = clean(value)
        if sid and sid not in self.locations:
            self.pkg.bad(filename, number, f"unknown location_id {sid!r}")
            return None
        return sid

    def _sal_refs(self, filename: str, number: int,
                  row: dict[str, str]) -> tuple[str | None, str | None]:
        service = self._service_ref(filename, number, row.get("service_id"))
        location = self._location_ref(filename, number, row.get("location_id"))
        sal = clean(row.get("service_at_location_id"))
        if sal and sal in self.sal:
            service = service or self.sal[sal][0]
            location = location or self.sal[sal][1]
        return service, location

    def read_service_at_location(self) -> None:
        for filename, number, row in self.table("service_at_location"):
            service = self._service_ref(filename, number, row.get("service_id"))
            location = self._location_ref(filename, number, row.get("location_id"))
            if not service or not location:
                if not clean(row.get("service_id")) or not clean(row.get("location_id")):
                    self.pkg.bad(filename, number, "needs both service_id and location_id")
                continue
            sid = clean(row.get("id"))
            if sid:
                self.sal[sid] = (service, location)
            self.pkg.service_at_location.append({
                "source_id": sid, "service_sid": service, "location_sid": location,
                "description": prose(row.get("description"))})

    def read_addresses(self) -> None:
        for resource, kind in (("physical_address", "physical"), ("postal_address", "postal")):
            for filename, number, row in self.table(resource):
                location = self._location_ref(filename, number, row.get("location_id"))
                if not clean(row.get("location_id")):
                    self.pkg.skip(f"{kind} addresses (no location_id)")
                if not location:
                    continue
                line2 = " ".join(filter(None, (clean(row.get(k)) for k in
                                               ("address_2", "address_3", "address_4"))))
                self.pkg.addresses.append({
                    "source_id": clean(row.get("id")), "location_sid": location, "kind": kind,
                    "attention": clean(row.get("attention")),
                    "address_1": clean(row.get("address_1")), "address_2": line2 or None,
                    "city": clean(row.get("city")), "region": clean(row.get("region")),
                    "state_province": clean(row.get("state_province")),
                    "postal_code": clean(row.get("postal_code")),
                    "country": clean(row.get("country"))})

    def read_phones(self) -> None:
        for filename, number, row in self.table("phone"):
            service, location = self._sal_refs(filename, number, row)
            org = clean(row.get("organization_id"))
            if org and org not in self.orgs:
                self.pkg.bad(filename, number, f"unknown organization_id {org!r}")
                continue
            phone_number = clean(row.get("number"))
            if not phone_number or not (service or location or org):
                self.pkg.skip("phones (no number or nothing to attach to)")
                continue
            self.pkg.phones.append({
                "source_id": clean(row.get("id")), "service_sid": service,
                "location_sid": location, "organization_sid": org, "number": phone_number,
                "extension": clean(row.get("extension")), "type": clean(row.get("type")),
                "language": clean(row.get("language")),
                "description": prose(row.get("description"))})

    def read_schedules(self) -> None:
        for filename, number, row in self.table("regular_schedule"):
            service, location = self._sal_refs(filename, number, row)
            weekday = parse_weekday(row.get("weekday"))
            if weekday is None:
                self.pkg.bad(filename, number, f"unreadable weekday {row.get('weekday')!r}")
                continue
            if not (service or location):
                self.pkg.skip("schedules (no service or location)")
                continue
            self.pkg.schedules.append({
                "source_id": clean(row.get("id")), "service_sid": service,
                "location_sid": location, "weekday": weekday,
                "opens_at": parse_time(row.get("opens_at")),
                "closes_at": parse_time(row.get("closes_at")),
                "description": prose(row.get("original_text"))})

    def read_holidays(self) -> None:
        for filename, number, row in self.table("holiday_schedule"):
            service, location = self._sal_refs(filename, number, row)
            start, end = parse_date(row.get("start_date")), parse_date(row.get("end_date"))
            if start is None or end is None:
                self.pkg.bad(filename, number, "holiday without readable start_date/end_date")
                continue
            if not (service or location):
                self.pkg.skip("holiday schedules (no service or location)")
                continue
            self.pkg.holidays.append({
                "source_id": clean(row.get("id")), "service_sid": service,
                "location_sid": location, "closed": parse_bool(row.get("closed")),
                "opens_at": parse_time(row.get("opens_at")),
                "closes_at": parse_time(row.get("closes_at")),
                "start_date": start, "end_date": end})

    def read_service_rows(self) -> None:
        """Tables with one text value per service: eligibility, areas, documents, payments."""
        for resource, column in (("eligibility", "eligibility"), ("service_area", "service_area"),
                                 ("required_document", "document"),
                                 ("payment_accepted", "payment")):
            for filename, number, row in self.table(resource):
                service = self._service_ref(filename, number, row.get("service_id"))
                value = clean(row.get(column))
                if not service or not value:
                    if not clean(row.get("service_id")) or not value:
                        self.pkg.skip(f"{resource} (no service_id or empty)")
                    continue
                self._service_value(resource, service, value, row)

    def _service_value(self, resource: str, service: str, value: str, row: dict[str, str]) -> None:
        record = self.services[service]
        if resource == "eligibility":
            self.pkg.eligibility.append({"source_id": clean(row.get("id")),
                                         "service_sid": service, "eligibility": value})
        elif resource == "service_area":
            self.pkg.service_areas.append({"source_id": clean(row.get("id")),
                                           "service_sid": service, "service_area": value,
                                           "description": prose(row.get("description"))})
        elif resource == "required_document":
            record["required_documents"] = "; ".join(
                filter(None, (record["required_documents"], value)))
        else:
            payments = f"Payment accepted: {value}"
            record["fees"] = "; ".join(filter(None, (record["fees"], payments)))

    def read_languages(self) -> None:
        for filename, number, row in self.table("language"):
            service = self._service_ref(filename, number, row.get("service_id"))
            location = self._location_ref(filename, number, row.get("location_id"))
            value = clean(row.get("language"))
            if not value or not (service or location):
                self.pkg.skip("languages (empty or nothing to attach to)")
                continue
            self.pkg.languages.append({"source_id": clean(row.get("id")), "service_sid": service,
                                       "location_sid": location, "language": value})

    def read_accessibility(self) -> None:
        for filename, number, row in self.table("accessibility_for_disabilities"):
            location = self._location_ref(filename, number, row.get("location_id"))
            value = clean(row.get("accessibility"))
            if not value or not location:
                self.pkg.skip("accessibility (empty or no location)")
                continue
            self.pkg.accessibility.append({"source_id": clean(row.get("id")),
                                           "location_sid": location, "accessibility": value,
                                           "details": clean(row.get("details"))})

    def read_service_taxonomy(self) -> None:
        for filename, number, row in self.table("service_taxonomy"):
            service = self._service_ref(filename, number, row.get("service_id"))
            code = clean(row.get("taxonomy_id"))
            if not service or not code:
                if not code:
                    self.pkg.bad(filename, number, "no taxonomy_id")
                continue
            self.pkg.service_taxonomy.append({"service_sid": service, "code": code,
                                              "detail": clean(row.get("taxonomy_detail"))})
