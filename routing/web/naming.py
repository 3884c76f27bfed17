"""Names, not ids, on the admin pages: "211 North" rather than "north", a provider's name
rather than its queue id. The ids stay in the JSON editor and the API, where they are keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Names:
    regions: dict[str, str]
    providers: dict[str, str]

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Names:
        def table(section: str, key: str) -> dict[str, str]:
            return {str(item["id"]): str(item.get(key) or item["id"])
                    for item in doc.get(section) or [] if isinstance(item, dict) and item.get("id")}
        return cls(table("regions", "name_en"), table("providers", "name"))

    def region(self, region_id: Any) -> str:
        return self.regions.get(str(region_id), str(region_id)) if region_id else "unknown"

    def provider(self, provider_id: Any) -> str:
        return self.providers.get(str(provider_id), str(provider_id)) if provider_id else "none"

    def region_list(self, ids: Iterable[Any] | None, empty: str = "all regions") -> str:
        names = [self.region(i) for i in ids or []]
        return ", ".join(names) if names else empty
