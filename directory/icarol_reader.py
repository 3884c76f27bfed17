"""Reading an iCarol resource export: one CSV, one row per Agency, Program or Site.

Agencies become organizations, programs services (linked by ParentAgencyNum), and every row
with a physical address a location (a site, or the program's own place). Taxonomy codes come
as '; '-separated groups of '*'-joined codes, with their names in the same order in
TaxonomyTerms. Hours come as 'Mon 9:00 am - 5:00 pm; ...'. Exports are usually Latin-1.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from directory.package import DirectoryImportError, Package, Row
from directory.parsing import clean, parse_float, parse_time, parse_weekday, prose

LEVELS = {"agency", "program", "site"}
PHONE_COLUMNS = (("Phone1Number", "Phone1Name"), ("Phone2Number", "Phone2Name"),
                 ("Phone3Number", "Phone3Name"), ("Phone4Number", "Phone4Name"),
                 ("Phone5Number", "Phone5Description"), ("PhoneTollFree", None),
                 ("PhoneNumberHotline", None), ("PhoneTTY", None),
                 ("PhoneNumberAfterHours", None))
_HOURS = re.compile(r"^(\w{3})\s+(.+?)\s*-\s*(.+)$")


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_icarol(path: Path, source: str) -> Package:
    filename = path.name
    rows = list(enumerate(csv.DictReader(io.StringIO(read_text(path), newline="")), start=2))
    if rows and "ResourceAgencyNum" not in rows[0][1]:
        raise DirectoryImportError([f"{filename}: no ResourceAgencyNum column (not iCarol?)"])
    package = Package(source=source)
    agencies = _agencies(package, filename, rows)
    locations: set[str] = set()
    for number, row in rows:
        level = (row.get("TaxonomyLevelName") or "").strip().lower()
        num = (row.get("ResourceAgencyNum") or "").strip()
        if level not in LEVELS:
            package.bad(filename, number, f"unknown TaxonomyLevelName {level!r}")
            continue
        if not num:
            continue
        parent = (row.get("ParentAgencyNum") or "").strip()
        org = num if level == "agency" else parent
        if level != "agency" and org not in agencies:
            package.bad(filename, number, f"ParentAgencyNum {parent!r} is not an agency in the file")
            continue
        if _location(package, row, num, org):
            locations.add(num)
        if level == "program":
            _program(package, row, num, org, agencies, locations)
    package.check()
    return package


def _agencies(package: Package, filename: str, rows: list[tuple[int, dict[str, str]]]) -> set[str]:
    seen: set[str] = set()
    nums: set[str] = set()
    for number, row in rows:
        num = (row.get("ResourceAgencyNum") or "").strip()
        if not num:
            package.bad(filename, number, "no ResourceAgencyNum")
            continue
        if num in nums:
            package.bad(filename, number, f"duplicate ResourceAgencyNum {num!r}")
        nums.add(num)
        if (row.get("TaxonomyLevelName") or "").strip().lower() != "agency":
            continue
        name = clean(row.get("PublicName")) or clean(row.get("OfficialName"))
        if not name:
            package.bad(filename, number, "agency without a name")
            continue
        seen.add(num)
        package.organizations.append({
            "source_id": num, "name": name, "alternate_name": clean(row.get("AlternateName")),
            "description": prose(row.get("AgencyDescription")),
            "email": clean(row.get("EmailAddressMain")), "url": clean(row.get("WebsiteAddress"))})
    return seen


def _location(package: Package, row: dict[str, str], num: str, org: str) -> bool:
    """A location for a row that has a physical address; False when it has none."""
    if not (clean(row.get("PhysicalAddress1")) or clean(row.get("PhysicalCity"))):
        return False
    package.locations.append({
        "source_id": num, "organization_sid": org, "name": clean(row.get("PublicName")),
        "alternate_name": None, "description": prose(row.get("PhysicalLocationDescription")),
        "transportation": clean(row.get("BusServiceAccess")),
        "latitude": parse_float(row.get("Latitude")), "longitude": parse_float(row.get("Longitude"))})
    package.addresses.append({
        "source_id": num, "location_sid": num, "kind": "physical", "attention": None,
        "address_1": clean(row.get("PhysicalAddress1")),
        "address_2": clean(row.get("PhysicalAddress2")), "city": clean(row.get("PhysicalCity")),
        "region": clean(row.get("PhysicalCounty")),
        "state_province": clean(row.get("PhysicalStateProvince")),
        "postal_code": clean(row.get("PhysicalPostalCode")),
        "country": clean(row.get("PhysicalCountry"))})
    access = clean(row.get("DisabilitiesAccess"))
    if access:
        package.accessibility.append({"source_id": num, "location_sid": num,
                                      "accessibility": access, "details": None})
    return True


def _program(package: Package, row: dict[str, str], num: str, org: str, agencies: set[str],
             locations: set[str]) -> None:
    del agencies
    name = (clean(row.get("PublicName")) or clean(row.get("AlternateName"))
            or clean(row.get("OfficialName")) or clean(row.get("ParentAgency")) or num)
    package.services.append({
        "source_id": num, "organization_sid": org, "organization_source_id": org, "name": name,
        "alternate_name": clean(row.get("AlternateName")),
        "description": prose(row.get("AgencyDescription")),
        "url": clean(row.get("WebsiteAddress")), "email": clean(row.get("EmailAddressMain")),
        "status": clean(row.get("AgencyStatus")), "interpretation_services": None,
        "application_process": clean(row.get("ApplicationProcess")), "wait_time": None,
        "fees": clean(row.get("FeeStructureSource")),
        "required_documents": clean(row.get("DocumentsRequired")),
        "hours_text": clean(row.get("HoursOfOperation")), "region": None})
    place = num if num in locations else (org if org in locations else None)
    if place:
        package.service_at_location.append({"source_id": None, "service_sid": num,
                                            "location_sid": place, "description": None})
    _program_details(package, row, num)


def _program_details(package: Package, row: dict[str, str], num: str) -> None:
    for number_col, name_col in PHONE_COLUMNS:
        phone = clean(row.get(number_col))
        if phone:
            label = clean(row.get(name_col)) if name_col else number_col.removeprefix("Phone")
            package.phones.append({"source_id": None, "service_sid": num, "number": phone,
                                   "extension": None, "type": "voice", "language": None,
                                   "description": label})
    if clean(row.get("Eligibility")):
        package.eligibility.append({"source_id": None, "service_sid": num,
                                    "eligibility": clean(row.get("Eligibility"))})
    if clean(row.get("LanguagesOffered")):
        package.languages.append({"source_id": None, "service_sid": num,
                                  "language": clean(row.get("LanguagesOffered"))})
    areas = {a.strip() for col in ("Coverage", "CoverageArea")
             for a in (row.get(col) or "").split(";") if a.strip() and a.strip() != "-1"}
    for area in sorted(areas):
        package.service_areas.append({"source_id": None, "service_sid": num,
                                      "service_area": area, "description": None})
    package.schedules.extend(hours(row.get("Hours") or "", num))
    for code, term in taxonomy(row.get("TaxonomyCodes") or "", row.get("TaxonomyTerms") or ""):
        package.service_taxonomy.append({"service_sid": num, "code": code, "detail": None})
        if term:
            package.taxonomy.append({"code": code, "name": term, "parent_code": code[:2],
                                     "parent_name": None, "vocabulary": "AIRS",
                                     "only_if_new": True})


def hours(text: str, service_sid: str) -> list[Row]:
    """'Mon 9:00 am - 5:00 pm; Tue 24/7; Wed' -> schedules (a bare day has no times: skipped)."""
    out: list[Row] = []
    for part in (p.strip() for p in text.split(";")):
        weekday = parse_weekday(part[:3])
        if weekday is None:
            continue
        if "24/7" in part or "24 hours" in part.lower():
            opens, closes = parse_time("0:00"), parse_time("24:00")
        else:
            match = _HOURS.match(part)
            if not match:
                continue
            opens, closes = parse_time(match.group(2)), parse_time(match.group(3))
        out.append({"source_id": None, "service_sid": service_sid, "weekday": weekday,
                    "opens_at": opens, "closes_at": closes, "description": part})
    return out


def taxonomy(codes: str, terms: str) -> list[tuple[str, str | None]]:
    """Codes with the leaf name of their term, matched group by group ('; ') and '*'."""
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    term_groups = terms.split(";")
    if len(terms) >= 250:  # iCarol cuts the column at 255 characters: the last name is partial
        term_groups = term_groups[:-1]
    for index, group in enumerate(codes.split(";")):
        names = term_groups[index].split("*") if index < len(term_groups) else []
        for position, code in enumerate(c.strip() for c in group.split("*")):
            if not code or code in seen:
                continue
            seen.add(code)
            name = names[position].split(" - ")[-1].strip() if position < len(names) else ""
            out.append((code, name or None))
    return out
