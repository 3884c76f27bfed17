"""What every importer produces: the records of one source, checked, before any is written.

Readers (HSDS, iCarol, the generator) fill a `Package` of plain dicts keyed by source ids and
collect every bad row with its file and row number. Nothing is written unless the whole
package is clean (`directory.writer`), so an import is all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


class DirectoryImportError(Exception):
    """The package has bad rows; `problems` lists each as 'file, row N: reason'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} bad row(s), nothing imported:\n{shown}{more}")


@dataclass
class Package:
    """One source's records. Links between them use the source's ids (`*_sid`)."""

    source: str
    organizations: list[Row] = field(default_factory=list)
    services: list[Row] = field(default_factory=list)
    locations: list[Row] = field(default_factory=list)
    taxonomy: list[Row] = field(default_factory=list)
    service_at_location: list[Row] = field(default_factory=list)
    addresses: list[Row] = field(default_factory=list)
    phones: list[Row] = field(default_factory=list)
    schedules: list[Row] = field(default_factory=list)
    holidays: list[Row] = field(default_factory=list)
    languages: list[Row] = field(default_factory=list)
    service_areas: list[Row] = field(default_factory=list)
    service_taxonomy: list[Row] = field(default_factory=list)
    eligibility: list[Row] = field(default_factory=list)
    accessibility: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def bad(self, filename: str, row: int, reason: str) -> None:
        self.problems.append(f"{filename}, row {row}: {reason}")

    def skip(self, what: str, count: int = 1) -> None:
        """A row with nothing to attach to (e.g. no service id): counted, not imported."""
        self.skipped[what] = self.skipped.get(what, 0) + count

    def check(self) -> None:
        if self.problems:
            raise DirectoryImportError(self.problems)


@dataclass
class Summary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.skipped))
        return [f"{kind}: created {self.created.get(kind, 0)}, updated {self.updated.get(kind, 0)}, "
                f"skipped {self.skipped.get(kind, 0)}" for kind in kinds]

    def total(self, kind: str) -> int:
        return self.created.get(kind, 0) + self.updated.get(kind, 0)
