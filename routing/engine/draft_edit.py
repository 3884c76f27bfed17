"""Edits to the draft document made by the admin forms: one item at a time, references kept safe.

The forms change one provider, region, schedule or rule; these functions put that one change
into a copy of the document and leave everything else as it was (keys the forms do not know
about included), so the JSON editor and the forms can be used side by side. Nothing here
saves: the pages hand the new document to `routing.store.versions.save_draft`, which audits it.
"""

from __future__ import annotations

import re
from typing import Any

from config.ontario import Deployment
from routing.engine.validation import GEOGRAPHY_KEYS

ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RESERVED_IDS = frozenset({"new"})  # /providers/new is the "add" page, so no item may be called that

Doc = dict[str, Any]
Item = dict[str, Any]


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is an object, else empty: a draft saved as raw JSON may have any shape."""
    return value if isinstance(value, dict) else {}


def id_problem(item_id: str, taken: set[str], old_id: str | None) -> str | None:
    """Why `item_id` cannot name a new or renamed item, or None; ids end up in URLs and rules."""
    if item_id == old_id:
        return None  # unchanged: an id written in the JSON editor keeps working
    if not ITEM_ID.match(item_id):
        return "use letters, digits, '-', '_' or '.' (up to 64), starting with a letter or digit"
    if item_id in RESERVED_IDS:
        return f"'{item_id}' is reserved"
    if item_id in taken:
        return f"'{item_id}' is already used"
    return None


def items(doc: Doc, section: str) -> list[Item]:
    """The section's objects (providers, regions, rules), skipping anything that is not one."""
    return [item for item in doc.get(section) or [] if isinstance(item, dict)]


def item_ids(doc: Doc, section: str) -> list[str]:
    return [str(item.get("id")) for item in items(doc, section)]


def find_item(doc: Doc, section: str, item_id: str) -> Item | None:
    return next((item for item in items(doc, section) if item.get("id") == item_id), None)


def put_item(doc: Doc, section: str, old_id: str | None, item: Item,
             before: str | None = None) -> Doc:
    """`doc` with `item` replacing `old_id` in place, or added before `before` (else at the end)."""
    current = list(doc.get(section) or [])
    for index, existing in enumerate(current):
        if old_id is not None and isinstance(existing, dict) and existing.get("id") == old_id:
            current[index] = item
            return {**doc, section: current}
    positions = [i for i, existing in enumerate(current)
                 if before is not None and isinstance(existing, dict) and existing.get("id") == before]
    current.insert(positions[0] if positions else len(current), item)
    return {**doc, section: current}


def remove_item(doc: Doc, section: str, item_id: str) -> Doc:
    kept = [item for item in doc.get(section) or []
            if not (isinstance(item, dict) and item.get("id") == item_id)]
    return {**doc, section: kept}


def move_rule(doc: Doc, rule_id: str, step: int) -> Doc | None:
    """`doc` with the rule moved one place up (step -1) or down (+1); None when it cannot move.

    Rule order is routing: the first matching terminal rule decides, so this is its own edit.
    """
    rules = list(doc.get("rules") or [])
    index = next((i for i, rule in enumerate(rules)
                  if isinstance(rule, dict) and rule.get("id") == rule_id), None)
    if index is None or not 0 <= index + step < len(rules):
        return None
    rules[index], rules[index + step] = rules[index + step], rules[index]
    return {**doc, "rules": rules}


def provider_references(doc: Doc, provider_id: str) -> list[str]:
    """Every place that names the provider: deleting or renaming it would leave them dangling."""
    found = ["the safe route provider"] if doc.get("safe_route_provider") == provider_id else []
    found += [f"provider '{p.get('id')}' (overflow)" for p in items(doc, "providers")
              if p.get("overflow") == provider_id and p.get("id") != provider_id]
    found += [f"region '{r.get('id')}'" for r in items(doc, "regions")
              if r.get("provider") == provider_id]
    for rule in items(doc, "rules"):
        then, when = as_dict(rule.get("then")), as_dict(rule.get("when"))
        if provider_id in (then.get("provider"), then.get("overflow"), when.get("queue")):
            found.append(f"rule '{rule.get('id')}'")
    return found


def region_references(doc: Doc, region_id: str) -> list[str]:
    """Rules and closure days that name the region.

    Its geography edits are not counted: they are the region's own settings (edited on its
    form), so they follow a rename and go with a delete.
    """
    found = [f"rule '{rule.get('id')}'" for rule in items(doc, "rules")
             if _when_list_has(rule, "regions", region_id)]
    found += [f"closure day {c.get('date')}" for c in items(doc, "closures")
              if region_id in (c.get("regions") or [])]
    return found


def schedule_references(doc: Doc, name: str) -> list[str]:
    return [f"rule '{rule.get('id')}'" for rule in items(doc, "rules")
            if as_dict(rule.get("when")).get("schedule") == name]


def _when_list_has(rule: Item, key: str, value: str) -> bool:
    found = as_dict(rule.get("when")).get(key)
    return isinstance(found, list) and value in found


def refused_because(references: list[str]) -> str:
    """Why a delete or rename is refused: what would be left naming nothing."""
    shown = ", ".join(references[:8]) + (f" and {len(references) - 8} more" if len(references) > 8 else "")
    return f"still used by {shown}; change those first"


def geography(doc: Doc) -> dict[str, dict[str, Any]]:
    """The document's geography edits, one mapping per key, whatever shape the draft is in."""
    raw = as_dict(doc.get("geography"))
    return {key: dict(as_dict(raw.get(key))) for key in GEOGRAPHY_KEYS}


def region_geography(doc: Doc, region_id: str) -> dict[str, list[str]]:
    """Area codes, exchanges, postal prefixes and municipalities the draft moves to this region."""
    return {key: sorted(place for place, region in mapping.items() if region == region_id)
            for key, mapping in geography(doc).items()}


def set_region_geography(doc: Doc, region_id: str, places: dict[str, list[str]]) -> tuple[Doc, list[str]]:
    """`doc` where exactly `places` point at the region; also what moved here from elsewhere.

    Places dropped from the list lose their edit (the data files decide again); a place another
    region had is moved, and named so the admin sees it. Municipality names match any case.
    """
    geo, moved = geography(doc), []
    for key in GEOGRAPHY_KEYS:
        mapping = {place: region for place, region in geo[key].items() if region != region_id}
        for place in places.get(key, []):
            same = [p for p in mapping if _same_place(key, p, place)]
            for old in same:
                if mapping[old] is not None:
                    moved.append(f"{key.replace('_', ' ')} {old} from region '{mapping[old]}'")
                del mapping[old]
            mapping[place] = region_id
        geo[key] = dict(sorted(mapping.items()))
    extra = {k: v for k, v in as_dict(doc.get("geography")).items() if k not in GEOGRAPHY_KEYS}
    return {**doc, "geography": {**geo, **extra}}, moved


def _same_place(key: str, a: str, b: str) -> bool:
    return a.lower() == b.lower() if key in ("municipalities", "postal_prefixes") else a == b


def data_file_places(dep: Deployment, region_id: str) -> dict[str, list[str]]:
    """What the data files already send to the region, shown beside the draft's own edits."""
    return {
        "area_codes": sorted(code for code, region in dep.area_code_default.items() if region == region_id),
        "exchanges": sorted(f"{code}-{x}" for (code, x), region in dep.exchanges.items()
                            if region == region_id),
        "postal_prefixes": sorted(p for p, region in dep.postal_prefixes.items() if region == region_id),
        "municipalities": sorted({dep.municipality_names.get(name, name)
                                  for name, region in dep.municipalities.items() if region == region_id}),
    }


def describe_when(rule: Item) -> str:
    """A rule's conditions in a line, for the ordered list of rules."""
    when = as_dict(rule.get("when"))
    parts = [f"{key}: {', '.join(map(str, when[key]))}" for key in ("regions", "languages", "needs")
             if when.get(key)]
    if "interpreter" in when:
        parts.append("interpreter asked" if when["interpreter"] else "no interpreter asked")
    if when.get("schedule"):
        parts.append(f"{when['schedule']} {when.get('schedule_state', 'open')}")
    if when.get("day"):
        parts.append(f"{when['day']} days")
    live = [f"{key.replace('_', ' ')} {when[key]}" for key in ("waiting_at_least", "expected_wait_at_least")
            if when.get(key) is not None] + (["no specialist"] if when.get("no_specialist") else [])
    if live:
        parts.append(f"queue {when.get('queue') or '(action provider)'}: {', '.join(live)}")
    return "; ".join(parts) or "every call"


def describe_then(rule: Item) -> str:
    """A rule's action in a line, for the ordered list of rules."""
    then = as_dict(rule.get("then"))
    kind = then.get("type")
    if kind == "enqueue":
        extra = [f"max wait {then['max_wait_seconds']} s"] if then.get("max_wait_seconds") else []
        if "overflow" in then:
            extra.append(f"overflow {then['overflow'] or 'none'}")
        return f"enqueue at {then.get('provider')}" + (f" ({', '.join(extra)})" if extra else "")
    if kind == "transfer":
        return f"transfer to {then.get('number')}"
    if kind == "message":
        return f"message: {then.get('text_en') or then.get('text_fr')}; go on"
    if kind == "interpreter":
        return f"interpreter ({then.get('language') or 'caller language'}); go on"
    if kind == "callback":
        return f"offer a callback from an expected wait of {then.get('after_seconds')} s; go on"
    return f"unknown action {kind!r}"
