"""A realistic Ontario-sized directory for demos and benchmarks (source 'generated').

Each service takes the AIRS taxonomy codes of a real 211 Miami service (so codes co-occur as
in a real directory, and labelled queries have relevant services among the distractors), but
its own name, organization, description and place: names and descriptions are composed from
the codes' taxonomy names, the people it serves, Ontario's municipalities and varied wording,
never copied from a record. Spread over the six regions with local addresses, phones, hours,
languages (more French in the East and North) and accessibility. Seeded, so two runs agree.

Written a batch at a time, each batch in its own transaction (and, on the PostgreSQL search
engine, indexed in it), so a million services are generated in bounded memory.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.database import session_scope
from config.extensions import deployment
from config.ontario import Deployment
from directory import search_loader, version
from directory.hsds_reader import read_hsds
from directory.models import Service
from directory.package import Package, Row, Summary
from directory.shared_data import miami_dir
from directory.writer import write_package

SOURCE = "generated"
BATCH = 2000  # services a transaction (a multiple of ORG_SIZE: an organization's in one batch)
STREETS = ("King St", "Queen St", "Main St", "Yonge St", "Dundas St", "Bank St", "Wellington St",
           "Victoria St", "Church St", "Ontario St", "Bay St", "Simcoe St", "Erie St", "Rue Principale",
           "Lakeshore Rd", "Rideau St", "Elgin St", "Algonquin Blvd", "Rue Champlain", "Front St")
HOURS = (((1, 2, 3, 4, 5), time(9), time(17)), ((1, 2, 3, 4, 5, 6, 7), time(0), time(23, 59)),
         ((1, 3, 5), time(10), time(14)), ((2, 4), time(13), time(20)),
         ((1, 2, 3, 4, 5, 6), time(8, 30), time(16, 30)))
FRENCH_SHARE = {"east": 0.6, "north": 0.5, "central": 0.25}
ORG_SIZE = 4
SURNAMES = ("Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie",
            "Fortin", "Gagné", "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron",
            "Smith", "Brown", "Wilson", "MacDonald", "Campbell", "Anderson", "Taylor", "Martin",
            "Thompson", "Stewart", "Robertson", "Clarke", "Murray", "Reid", "Fraser", "Patel",
            "Singh", "Nguyen", "Chen", "Wong", "Ahmed", "Ali", "Kowalski", "Rossi", "Santos",
            "Okafor", "Mensah", "Sinclair", "Whitfield", "Hargreaves", "Lindqvist", "Moreau",
            "Beaulieu", "Desjardins", "Laframboise", "Cardinal", "Whiteduck", "Commanda")
ADJECTIVES = ("Community", "Neighbourhood", "Regional", "Northern", "Lakeside", "Riverside",
              "Family", "Hope", "Open Door", "New Horizons", "Harbour", "Maple Leaf", "Pine Ridge",
              "Good Shepherd", "Unity", "Bridges", "Compass", "Lighthouse", "Trillium", "Cedar",
              "Heritage", "Pathways", "Second Chance", "Circle of Care", "Frontenac", "Sunrise")
ORG_NOUNS = ("Community Services", "Family Services", "Community Health Centre", "Mission",
             "Association", "Society", "Network", "Coalition", "Foundation", "Friendship Centre",
             "Social Planning Council", "Multicultural Centre", "Seniors' Centre", "Youth Services",
             "Legal Clinic", "Housing Corporation", "Support Services", "Resource Centre")
FRENCH_ORG_NOUNS = ("Centre communautaire", "Centre de santé communautaire", "Services familiaux",
                    "Association", "Carrefour", "Maison")
NAME_FORMS = ("{place} {kind}", "{kind} for {audience}", "{surname} {kind} Program",
              "{adjective} {kind}", "{kind} - {place}", "{org} {kind}", "{adjective} {kind} of {place}",
              "{kind} ({place} site)")
OPENINGS = ("Offers {kind} to {audience} in {place} and the surrounding area.",
            "Provides {kind} for {audience} living in {place}.",
            "A program of {org} that delivers {kind} across {place}.",
            "Helps {audience} in {place} with {kind}.",
            "{place}'s {kind} program, run by {org}, for {audience}.")
MIDDLES = ("Services include {extra}.", "Staff can also help with {extra}.",
           "Also offers {extra} on site.", "Works with local partners on {extra}.", "")
ACCESS = ("Walk in during opening hours; no appointment is needed.",
          "Call ahead to book an appointment.",
          "A referral from a doctor, school or caseworker is required.",
          "No fees; donations are welcome.",
          "Fees are on a sliding scale based on household income.",
          "Interpretation is available on request.",
          "Proof of address in the service area is required.",
          "Serves people regardless of immigration status.",
          "Wheelchair accessible entrance at the side of the building.",
          "Evening and weekend hours are offered once a month.")
DEFAULT_AUDIENCE = ("residents", "individuals and families", "people of all ages", "adults",
                    "local residents", "newcomers")


@dataclass
class Templates:
    """What the generator draws from: real code sets and the taxonomy's names (no record text)."""

    code_sets: list[list[str]]
    taxonomy: list[Row]
    names: dict[str, str]


def _templates() -> Templates:
    package = read_hsds(miami_dir(), "miami-211-hsds")
    codes: dict[str, list[str]] = defaultdict(list)
    for link in package.service_taxonomy:
        if link["code"] not in codes[link["service_sid"]]:
            codes[link["service_sid"]].append(link["code"])
    code_sets = [codes[s["source_id"]] for s in package.services if codes.get(s["source_id"])]
    names = {t["code"]: t["name"] for t in package.taxonomy}
    return Templates(code_sets=code_sets, taxonomy=package.taxonomy, names=names)


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


@dataclass
class World:
    """The generator's fixed inputs, read once for every batch."""

    rng: random.Random
    templates: Templates
    places: list[tuple[str, str]]
    postal: dict[str, list[str]]
    area_codes: dict[str, list[str]]
    languages: list[str]


def generate(app: Flask, count: int, seed: int = 211) -> Summary:
    """Write `count` services a batch at a time (bounded memory), then move the directory
    version once, so every worker's search picks them up."""
    with app.app_context():
        dep = deployment()  # the published regions and geography, as every area sees them
    world = World(rng=random.Random(seed), templates=_templates(), places=_places(dep),  # noqa: S311
                  postal=_by_region(dep.postal_prefixes),
                  area_codes=_by_region(dep.area_code_default),
                  languages=[lang.code for lang in dep.interpreter_languages])
    total = Summary()
    for start in range(0, count, BATCH):
        package = build_batch(world, start, min(count, start + BATCH), with_taxonomy=start == 0)
        with session_scope(app) as db:
            _add(total, write_package(db, package, dep))
            if search_loader.on_postgres(app):
                _index_batch(db, [s["source_id"] for s in package.services])
    version.bump(app.extensions["store"])
    if search_loader.has_index(app):
        search_loader.refresh(app)
    return total


def _index_batch(db: Session, source_ids: list[str]) -> None:
    from directory.search_sync import sync_services

    ids = list(db.scalars(select(Service.id).where(Service.source == SOURCE,
                                                   Service.source_id.in_(source_ids))))
    sync_services(db, ids)


def _add(total: Summary, part: Summary) -> None:
    for mine, theirs in ((total.created, part.created), (total.updated, part.updated),
                         (total.skipped, part.skipped)):
        for kind, number in theirs.items():
            mine[kind] = mine.get(kind, 0) + number


def build_package(count: int, dep: Deployment, seed: int = 211) -> Package:
    """All `count` services in one package (small directories: demos, tests)."""
    world = World(rng=random.Random(seed), templates=_templates(), places=_places(dep),  # noqa: S311
                  postal=_by_region(dep.postal_prefixes),
                  area_codes=_by_region(dep.area_code_default),
                  languages=[lang.code for lang in dep.interpreter_languages])
    return build_batch(world, 0, count, with_taxonomy=True)


def build_batch(world: World, first: int, end: int, with_taxonomy: bool) -> Package:
    """Services `first` to `end` - 1 (their organizations start at multiples of ORG_SIZE)."""
    rng = world.rng
    package = Package(source=SOURCE, taxonomy=world.templates.taxonomy if with_taxonomy else [])
    org_name = ""
    for number in range(first, end):
        org_number = number // ORG_SIZE
        place, region = world.places[(org_number * 7919) % len(world.places)]
        french = rng.random() < FRENCH_SHARE.get(region, 0.1)
        if number % ORG_SIZE == 0 or not org_name:
            org_name = _org_name(rng, place, french)
            _organization(package, world, org_number, org_name, place, region)
        codes = world.templates.code_sets[rng.randrange(len(world.templates.code_sets))]
        sid = f"gen-{number:07d}"
        org_sid = f"gen-org-{org_number:06d}"
        name, description = _wording(rng, world.templates.names, codes, place, org_name)
        package.services.append({
            "source_id": sid, "organization_sid": org_sid, "organization_source_id": org_sid,
            "name": name, "alternate_name": None, "description": description, "url": None,
            "email": None, "status": "active", "interpretation_services": None,
            "application_process": None, "wait_time": None, "fees": None,
            "required_documents": None, "hours_text": None, "region": region})
        package.service_at_location.append({"source_id": None, "service_sid": sid,
                                            "location_sid": org_sid, "description": None})
        package.service_taxonomy.extend({"service_sid": sid, "code": code, "detail": None}
                                        for code in codes)
        package.service_areas.append({"source_id": None, "service_sid": sid,
                                      "service_area": place, "description": None})
        _service_facts(package, world, sid, region, french)
    return package


def _org_name(rng: random.Random, place: str, french: bool) -> str:
    if french and rng.random() < 0.5:
        return f"{rng.choice(FRENCH_ORG_NOUNS)} {rng.choice(('de', 'du Grand', 'de la région de'))} {place}"
    form = rng.randrange(3)
    if form == 0:
        return f"{rng.choice(SURNAMES)} {rng.choice(ORG_NOUNS)}"
    if form == 1:
        return f"{place} {rng.choice(ORG_NOUNS)}"
    return f"{rng.choice(ADJECTIVES)} {rng.choice(ORG_NOUNS)} of {place}"


def _wording(rng: random.Random, names: dict[str, str], codes: list[str], place: str,
             org: str) -> tuple[str, str]:
    """A name and a description from the codes' taxonomy names, the place and the organization."""
    services = [names.get(c, c) for c in codes if not c.startswith("Y")] or [names.get(codes[0], "Services")]
    people = [names[c].lower() for c in codes if c.startswith("Y") and c in names]
    kind = rng.choice(services)
    audience = rng.choice(people) if people else rng.choice(DEFAULT_AUDIENCE)
    slots = {"place": place, "kind": kind, "audience": audience.title(), "org": org,
             "surname": rng.choice(SURNAMES), "adjective": rng.choice(ADJECTIVES)}
    form = rng.choice(NAME_FORMS if people else [f for f in NAME_FORMS if "audience" not in f])
    name = form.format(**slots)
    others = [s.lower() for s in services if s != kind]
    rng.shuffle(others)
    extra = ", ".join(others[:3]) if others else "referrals to other local services"
    sentences = [rng.choice(OPENINGS).format(**slots | {"kind": kind.lower(), "audience": audience}),
                 rng.choice(MIDDLES).format(extra=extra),
                 *rng.sample(ACCESS, rng.randint(1, 2))]
    return name, " ".join(s for s in sentences if s)


def _organization(package: Package, world: World, org_number: int, name: str, place: str,
                  region: str) -> None:
    rng = world.rng
    sid = f"gen-org-{org_number:06d}"
    package.organizations.append({"source_id": sid, "name": name, "alternate_name": None,
                                  "description": None, "email": None, "url": None})
    package.locations.append({"source_id": sid, "organization_sid": sid, "name": place,
                              "alternate_name": None, "description": None, "transportation": None,
                              "latitude": None, "longitude": None})
    prefix = rng.choice(world.postal.get(region) or ["M5V"])
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
                           "number": _phone(rng, region, world.area_codes), "extension": None,
                           "type": "voice", "language": None, "description": "Main line"})


def _phone(rng: random.Random, region: str, area_codes: dict[str, list[str]]) -> str:
    area = rng.choice(area_codes.get(region) or ["416"])
    return f"{area}-{rng.randint(200, 989)}-{rng.randint(0, 9999):04d}"


def _service_facts(package: Package, world: World, sid: str, region: str, french: bool) -> None:
    rng = world.rng
    package.phones.append({"source_id": None, "service_sid": sid,
                           "number": _phone(rng, region, world.area_codes), "extension": None,
                           "type": "voice", "language": None, "description": None})
    spoken = ["English"]
    if french:
        spoken.append("French")
    if rng.random() < 0.15:
        spoken.append(rng.choice(world.languages))
    package.languages.extend({"source_id": None, "service_sid": sid, "location_sid": None,
                              "language": lang} for lang in spoken)
    if rng.random() < 0.85:
        days, opens, closes = rng.choice(HOURS)
        package.schedules.extend({"source_id": None, "service_sid": sid, "location_sid": None,
                                  "weekday": day, "opens_at": opens, "closes_at": closes,
                                  "description": None} for day in days)
