"""The deployment as the published rule set says: its providers, regions and geography edits.

The IVR and location code work on a `config.ontario.Deployment`; the admins' rule set may add
or change providers and regions, and move area codes, exchanges, postal prefixes and
municipalities between regions. `overlay` lays those edits over the data files' deployment.
"""

from __future__ import annotations

from dataclasses import replace

from config.ontario import Deployment
from routing.engine.ruleset import RuleSet


def _exchanges(dep: Deployment, edits: dict[str, str | None]) -> dict[tuple[str, str], str]:
    exchanges = dict(dep.exchanges)
    for key, region in edits.items():
        area_code, _, exchange = key.partition("-")
        if region is None:
            exchanges.pop((area_code, exchange), None)
        else:
            exchanges[(area_code, exchange)] = region
    return exchanges


def _mapping(base: dict[str, str], edits: dict[str, str | None], upper: bool) -> dict[str, str]:
    merged = dict(base)
    for key, region in edits.items():
        name = key.upper() if upper else key.lower()
        if region is None:
            merged.pop(name, None)
        else:
            merged[name] = region
    return merged


def overlay(dep: Deployment, rs: RuleSet) -> Deployment:
    """`dep` with the rule set's providers, regions, safe route and geography edits."""
    geo = rs.geography
    municipalities = geo.get("municipalities", {})
    names = dict(dep.municipality_names)
    names.update({key.lower(): key for key, region in municipalities.items() if region})
    return replace(
        dep,
        timezone=rs.timezone,
        safe_route_provider=rs.safe_route_provider,
        providers=dict(rs.providers) or dep.providers,
        regions=dict(rs.regions) or dep.regions,
        area_code_default={**dep.area_code_default, **geo.get("area_codes", {})},
        exchanges=_exchanges(dep, geo.get("exchanges", {})),
        postal_prefixes=_mapping(dep.postal_prefixes, geo.get("postal_prefixes", {}), upper=True),
        municipalities=_mapping(dep.municipalities, municipalities, upper=False),
        municipality_names=names,
    )
