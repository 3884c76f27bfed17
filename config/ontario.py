"""The Ontario deployment as the data files in `config/data/` say (sources in `SOURCES.md`).

These files are only the base: the live deployment every area reads is the published rule set
laid over them (`routing.live`), reached through `config.extensions.deployment()`. Only
routing (to lay the rules over it) and code with no app to ask read `data_files()` directly.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from config.call_lines import CallLines, load_call_lines

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    city: str
    queue: str
    languages: tuple[str, ...]
    overflow: str | None
    max_wait_seconds: int
    name_fr: str = ""

    def spoken_name(self, language: str) -> str:
        """The name a caller hears: French callers get the French name where one is set."""
        return self.name_fr if language == "fr" and self.name_fr else self.name


@dataclass(frozen=True)
class Region:
    id: str
    name_en: str
    name_fr: str
    provider: str

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en


@dataclass(frozen=True)
class InterpreterLanguage:
    code: str
    name_en: str
    name_fr: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Need:
    id: str
    digit: str
    taxonomy: tuple[str, ...]
    words: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Deployment:
    timezone: str
    safe_route_provider: str
    regions: dict[str, Region]
    providers: dict[str, Provider]
    area_code_default: dict[str, str | None]  # area code -> region, None when it spans regions
    exchanges: dict[tuple[str, str], str]  # (area code, exchange) -> region
    municipalities: dict[str, str]  # lower-cased name (English or French) -> region
    municipality_names: dict[str, str]  # lower-cased name -> display name
    postal_prefixes: dict[str, str]  # FSA or 2-char prefix -> region
    interpreter_languages: tuple[InterpreterLanguage, ...]
    needs: tuple[Need, ...] = field(default=())
    # Interpreter vendors and configured transfer lines (config.call_lines).
    call_lines: CallLines = field(default_factory=CallLines)

    def provider_for_region(self, region_id: str) -> Provider:
        return self.providers[self.regions[region_id].provider]

    def need(self, need_id: str) -> Need | None:
        return next((n for n in self.needs if n.id == need_id), None)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _municipalities(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    regions: dict[str, str] = {}
    names: dict[str, str] = {}
    for row in _rows(path):
        for name in (row["name"], row.get("name_fr", "")):
            if name:
                regions.setdefault(name.lower(), row["region"])
                names.setdefault(name.lower(), name)
    return regions, names


def _area_codes(path: Path) -> tuple[dict[str, str | None], dict[tuple[str, str], str]]:
    defaults: dict[str, str | None] = {}
    exchanges: dict[tuple[str, str], str] = {}
    for row in _rows(path):
        if row["exchange"]:
            exchanges[(row["area_code"], row["exchange"])] = row["region"]
        else:
            defaults[row["area_code"]] = row["default_region"] or None
    return defaults, exchanges


def load_deployment(data_dir: Path = DATA_DIR) -> Deployment:
    spec = json.loads((data_dir / "regions.json").read_text(encoding="utf-8"))
    needs_spec = json.loads((data_dir / "needs.json").read_text(encoding="utf-8"))
    area_defaults, exchanges = _area_codes(data_dir / "area_codes.csv")
    municipalities, municipality_names = _municipalities(data_dir / "municipalities.csv")
    languages = _interpreter_languages(data_dir / "interpreter_languages.csv")
    return Deployment(
        timezone=spec["timezone"],
        safe_route_provider=spec["safe_route_provider"],
        regions={r["id"]: Region(**r) for r in spec["regions"]},
        providers={
            p["id"]: Provider(
                id=p["id"], name=p["name"], city=p["city"], queue=p["queue"],
                languages=tuple(p["languages"]), overflow=p.get("overflow"),
                max_wait_seconds=int(p["max_wait_seconds"]), name_fr=p.get("name_fr", ""),
            )
            for p in spec["providers"]
        },
        area_code_default=area_defaults,
        exchanges=exchanges,
        municipalities=municipalities,
        municipality_names=municipality_names,
        postal_prefixes={r["prefix"].upper(): r["region"] for r in _rows(data_dir / "postal_prefixes.csv")},
        interpreter_languages=languages,
        needs=tuple(
            Need(id=n["id"], digit=n["digit"], taxonomy=tuple(n["taxonomy"]),
                 words={"en": tuple(n["en"]), "fr": tuple(n["fr"])})
            for n in needs_spec["needs"]
        ),
        call_lines=load_call_lines(data_dir, {lang.code for lang in languages}),
    )


def _interpreter_languages(path: Path) -> tuple[InterpreterLanguage, ...]:
    return tuple(
        InterpreterLanguage(
            code=r["code"], name_en=r["name_en"], name_fr=r["name_fr"],
            aliases=tuple(a.strip() for a in r["aliases"].split("|") if a.strip()),
        )
        for r in _rows(path)
    )


@lru_cache(maxsize=1)
def data_files() -> Deployment:
    """The data files' deployment, read once per process (the base the rules are laid over)."""
    return load_deployment()


class DeploymentSource(Protocol):
    """What `create_app` injects as `app.extensions["deployment"]`: the deployment right now."""

    def current(self) -> Deployment: ...
