"""A realistic Ontario-sized directory for demos and benchmarks (source 'generated').

Services copy the names, descriptions and AIRS taxonomy of real 211 Miami records and are
spread over Ontario's municipalities and six regions, with local addresses, phones, hours,
languages (more French in the East and North) and accessibility. Seeded, so two runs agree.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from datetime import time

from flask import Flask

from config.extensions import deployment
from config.ontario import Deployment
from directory.hsds_reader import read_hsds
from directory.importer import write
from directory.package import Package, Row, Summary
from directory.shared_data import miami_dir

SOURCE = "generated"
STREETS = ("King St", "Queen St", "Main St", "Yonge St", "Dundas St", "Bank St", "Wellington St",
           "Victoria St", "Church St", "Ontario St", "Bay St", "Simcoe St", "Erie St", "Rue Principale")
HOURS = (((1, 2, 3, 4, 5), time(9), time(17)), ((1, 2, 3, 4, 5, 6, 7), time(0), time(23, 59)),
         ((1, 3, 5), time(10), time(14)), ((2, 4), time(13), time(20)),
         ((1, 2, 3, 4, 5, 6), time(8, 30), time(16, 30)))
FRENCH_SHARE = {"east": 0.6, "north": 0.5, "central": 0.25}
ORG_SIZE = 4


def _templates() -> tuple[list[Row], dict[str, list[str]], list[Row]]:
    package = read_hsds(miami_dir(), "miami-211-hsds")
    codes: dict[str, list[str]] = defaultdict(list)
    for link in package.service_taxonomy:
        if link["code"] not in codes[link["service_sid"]]:
            codes[link["service_sid"]].append(link["code"])
    services = [s for s in package.services if codes.get(s["source_id"])]
    return services, codes, package.taxonomy


def _places(dep: Deployment) -> list[tuple[str, str]]:
    seen: set[str] = set()
    places = []
    for key, region in sorted(dep.municipalities.items()):
        name = dep.municipality_names[key]
        if region in dep.regions and name not in seen and "county" not in key:
            seen.add(name)
            places.append((name, region))
    return places


def _by_region(mapping: Mapping[str, str | None]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, region in sorted(mapping.items()):
        if region:
            out[region].append(key)
    return out


def generate(app: Flask, count: int, seed: int = 211) -> Summary:
    with app.app_context():
        dep = deployment()  # the published regions and geography, as every area sees them
    return write(app, build_package(count, dep, seed))


def build_package(count: int, dep: Deployment, seed: int = 211) -> Package:
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    services, codes, taxonomy = _templates()
    places = _places(dep)
    postal = _by_region(dep.postal_prefixes)
    area_codes = _by_region(dep.area_code_default)
    package = Package(source=SOURCE, taxonomy=taxonomy)
    languages = [lang.code for lang in dep.interpreter_languages]
    for number in range(count):
        org_number = number // ORG_SIZE
        place, region = places[org_number % len(places)]
        template = services[rng.randrange(len(services))]
        if number % ORG_SIZE == 0:
            _organization(package, rng, org_number, place, region, template, postal, area_codes)
        sid = f"gen-{number:06d}"
        org_sid = f"gen-org-{org_number:05d}"
        package.services.append({
            "source_id": sid, "organization_sid": org_sid, "organization_source_id": org_sid,
            "name": f"{template['name'].title()} - {place}",
            "alternate_name": template.get("alternate_name"),
            "description": template.get("description"), "url": None, "email": None,
            "status": "active", "interpretation_services": None,
            "application_process": template.get("application_process"), "wait_time": None,
            "fees": template.get("fees"), "required_documents": None, "hours_text": None,
            "region": region})
        package.service_at_location.append({"source_id": None, "service_sid": sid,
                                            "location_sid": org_sid, "description": None})
        package.service_taxonomy.extend({"service_sid": sid, "code": code, "detail": None}
                                        for code in codes[template["source_id"]])
        package.service_areas.append({"source_id": None, "service_sid": sid,
                                      "service_area": place, "description": None})
        _service_facts(package, rng, sid, region, languages, area_codes)
    return package


def _organization(package: Package, rng: random.Random, org_number: int, place: str,
                  region: str, template: Row, postal: dict[str, list[str]],
                  area_codes: dict[str, list[str]]) -> None:
    sid = f"gen-org-{org_number:05d}"
    package.organizations.append({"source_id": sid, "name": f"{template['name'].title()} {place}",
                                  "alternate_name": None, "description": None, "email": None,
                                  "url": None})
    package.locations.append({"source_id": sid, "organization_sid": sid, "name": place,
                              "alternate_name": None, "description": None, "transportation": None,
                              "latitude": None, "longitude": None})
    prefix = rng.choice(postal.get(region) or ["M5V"])
    package.addresses.append({
        "source_id": None, "location_sid": sid, "kind": "physical", "attention": None,
        "address_1": f"{rng.randint(1, 2999)} {rng.choice(STREETS)}", "address_2": None,
        "city": place, "region": None, "state_province": "ON",
        "postal_code": f"{prefix.ljust(3, str(rng.randint(1, 9)))} {rng.randint(1, 9)}"
                       f"{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randint(1, 9)}",
        "country": "CA"})
    if rng.random() < 0.4:
        package.accessibility.append({"source_id": None, "location_sid": sid,
                                      "accessibility": "Wheelchair accessible", "details": None})
    package.phones.append({"source_id": None, "organization_sid": sid,
                           "number": _phone(rng, region, area_codes), "extension": None,
                           "type": "voice", "language": None, "description": "Main line"})


def _phone(rng: random.Random, region: str, area_codes: dict[str, list[str]]) -> str:
    area = rng.choice(area_codes.get(region) or ["416"])
    return f"{area}-{rng.randint(200, 989)}-{rng.randint(0, 9999):04d}"


def _service_facts(package: Package, rng: random.Random, sid: str, region: str,
                   languages: list[str], area_codes: dict[str, list[str]]) -> None:
    package.phones.append({"source_id": None, "service_sid": sid,
                           "number": _phone(rng, region, area_codes), "extension": None,
                           "type": "voice", "language": None, "description": None})
    spoken = ["English"]
    if rng.random() < FRENCH_SHARE.get(region, 0.1):
        spoken.append("French")
    if rng.random() < 0.15:
        spoken.append(rng.choice(languages))
    package.languages.extend({"source_id": None, "service_sid": sid, "location_sid": None,
                              "language": lang} for lang in spoken)
    if rng.random() < 0.85:
        days, opens, closes = rng.choice(HOURS)
        package.schedules.extend({"source_id": None, "service_sid": sid, "location_sid": None,
                                  "weekday": day, "opens_at": opens, "closes_at": closes,
                                  "description": None} for day in days)
