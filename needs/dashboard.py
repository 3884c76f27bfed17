"""The planners' needs-and-gaps page: charts and a schematic map of Ontario's six regions.

Charts are inline SVG drawn by the template (no scripts, no CDN). The map is a tile map: each
tile is one 211 region placed roughly where it lies (the project ships no boundary data, so it
does not pretend to draw boundaries), shaded by the share of needs that went unmet.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from accounts.auth import page_role_required
from config.database import db_session
from config.extensions import deployment
from needs.models import UNMET_REASONS
from needs.reports.api import scope_from_args
from needs.reports.build import needs_report

bp = Blueprint("needs_dashboard", __name__, url_prefix="/needs/reports", template_folder="templates")

# (column, row, width) on a 4 x 3 grid: the north above, the south's five regions west to east.
TILES = {"north": (0, 0, 4), "central_east": (2, 1, 1), "east": (3, 1, 1),
         "south_west": (0, 2, 1), "central_south": (1, 2, 1), "central": (2, 2, 1)}
TOP_TERMS = 15


def shade(share: float | None) -> str:
    """White (no gaps) to deep red (every need unmet); grey without needs."""
    if share is None:
        return "#e8edf3"
    light = round(245 - 150 * share)
    return f"rgb(245,{light},{light})"


def map_tiles(report: dict[str, Any]) -> list[dict[str, Any]]:
    regions = {r["region"]: r for r in report["by_region"]}
    tiles = []
    for region_id, (col, row, width) in TILES.items():
        region = deployment().regions.get(region_id)
        counts = regions.get(region_id, {})
        needs, unmet = counts.get("needs") or 0, counts.get("unmet") or 0
        share = unmet / needs if needs else None
        tiles.append({"id": region_id, "name": region.name_en if region else region_id,
                      "x": col * 130, "y": row * 90, "w": width * 130 - 6, "needs": needs,
                      "unmet": unmet, "pct": round(100 * share) if share is not None else None,
                      "fill": shade(share)})
    return tiles


@bp.get("/")
@page_role_required("planner")
def dashboard() -> str | tuple[str, int]:
    regions = [(r.id, r.name_en) for r in deployment().regions.values()]
    try:
        scope = scope_from_args(request.args)
    except ValueError as err:  # the form and the reason, not the default period's figures
        asked = {key: request.args.get(key, "") for key in ("from", "to", "region", "fsa")}
        return render_template("needs/dashboard.html", report=None, error=str(err), asked=asked,
                               regions=regions), 400
    error = None
    report = needs_report(db_session(), scope)
    upper = sorted((n for n in report["needs_by_taxonomy"] if n["level"] <= 2),
                   key=lambda n: (-n["needs"], n["code"]))[:TOP_TERMS]
    return render_template("needs/dashboard.html", report=report, error=error, upper=upper,
                           tiles=map_tiles(report), reasons=UNMET_REASONS, regions=regions)
