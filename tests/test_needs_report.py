"""The needs-and-gaps report against a fixture of known counts: roll-up, gaps, months, regions,
FSAs, filters, and the open data's small-cell suppression; JSON API, CSV and CLI."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.contact_helpers import known_counts, token_for

RANGE = "from=2026-11-01&to=2026-12-31"  # CAold (September) is outside it


def report(app: Flask, client: FlaskClient, query: str = RANGE, path: str = "/api/reports/needs") -> Any:
    resp = client.get(f"{path}?{query}", headers=token_for(app, "pat@example.org", "planner"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def tree(got: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {n["code"]: (n["needs"], n["met"], n["unmet"]) for n in got["needs_by_taxonomy"]}


def test_needs_roll_up_the_taxonomy(app: Flask, client: FlaskClient, db: Session) -> None:
    known_counts(db)
    got = report(app, client)
    assert got["totals"] == {"records": 14, "needs": 15, "unmet": 8}  # the draft does not count
    assert tree(got) == {
        "B": (14, 6, 8), "BD": (10, 6, 4), "BD-1800": (9, 6, 3), "BD-1800.2000": (7, 6, 1),
        "BD-5000": (1, 0, 1), "BH": (4, 0, 4), "BH-3800": (4, 0, 4), "BH-3800.7000": (4, 0, 4),
        "L": (1, 1, 0), "LV": (1, 1, 0), "LV-1600": (1, 1, 0)}
    bd = next(n for n in got["needs_by_taxonomy"] if n["code"] == "BD-1800")
    assert (bd["name"], bd["level"], bd["parent"], bd["coded_here"]) == ("Emergency Food", 3, "BD", 2)
    assert bd["reasons"] == {"no_service": 2, "not_eligible": 0, "waiting_list": 0,
                             "cannot_reach": 1, "declined": 0, "other": 0}


def test_gaps_months_regions_and_fsas(app: Flask, client: FlaskClient, db: Session) -> None:
    known_counts(db)
    got = report(app, client)
    assert got["gaps_by_reason"] == {"no_service": 2, "not_eligible": 1, "waiting_list": 4,
                                     "cannot_reach": 1, "declined": 0, "other": 0}
    assert got["monthly"] == [
        {"month": "2026-11", "records": 10, "needs": 11, "met": 6, "unmet": 5},
        {"month": "2026-12", "records": 4, "needs": 4, "met": 1, "unmet": 3}]
    top = {region: [(g["code"], g["unmet"]) for g in gaps]
           for region, gaps in got["top_gaps_by_region"].items()}
    assert top == {"east": [("BD-1800", 2), ("BD-1800.2000", 1), ("BD-5000", 1), ("BH-3800.7000", 1)],
                   "north": [("BH-3800.7000", 3)]}
    regions = {r["region"]: r for r in got["by_region"]}
    assert (regions["east"]["records"], regions["east"]["needs"], regions["east"]["unmet"]) == (10, 11, 5)
    assert regions["east"]["call_types"]["advocacy"] == 1
    assert regions["east"]["avg_wrap_up_s"] == 66.0  # nine at 60 s, one at 120 s
    assert [(f["fsa"], f["needs"], f["unmet"]) for f in got["by_fsa"]] == [
        ("K1A", 8, 2), ("K2P", 3, 3), ("P3A", 1, 0), ("P3B", 3, 3)]


def test_filters_by_region_and_fsa(app: Flask, client: FlaskClient, db: Session) -> None:
    known_counts(db)
    north = report(app, client, RANGE + "&region=north")
    assert north["totals"] == {"records": 4, "needs": 4, "unmet": 3}
    assert tree(north)["BH-3800.7000"] == (3, 0, 3)
    one = report(app, client, RANGE + "&fsa=p3a")
    assert tree(one) == {"L": (1, 1, 0), "LV": (1, 1, 0), "LV-1600": (1, 1, 0)}
    september = report(app, client, "from=2026-09-01&to=2026-09-30")
    assert september["gaps_by_reason"]["other"] == 1


def test_open_data_withholds_cells_under_five(app: Flask, client: FlaskClient, db: Session) -> None:
    known_counts(db)
    got = report(app, client, path="/api/reports/needs/open-data.json")
    assert got["suppression"]["threshold"] == 5
    assert tree(got)["BD"] == (10, 6, None)  # 4 unmet is withheld
    assert tree(got)["BD-1800.2000"] == (7, 6, None)
    assert tree(got)["BH"] == (None, 0, None) and tree(got)["LV-1600"] == (None, None, 0)
    assert got["gaps_by_reason"] == {"no_service": None, "not_eligible": None, "waiting_list": None,
                                     "cannot_reach": None, "declined": 0, "other": 0}
    assert got["monthly"][1] == {"month": "2026-12", "records": None, "needs": None, "met": None,
                                 "unmet": None}
    north = next(r for r in got["by_region"] if r["region"] == "north")
    assert (north["records"], north["avg_wrap_up_s"]) == (None, None)
    assert next(n for n in got["needs_by_taxonomy"] if n["code"] == "BD")["level"] == 2  # not a count


def test_csv_exports_and_access(app: Flask, client: FlaskClient, db: Session) -> None:
    known_counts(db)
    planner = token_for(app, "pat@example.org", "planner")
    resp = client.get(f"/api/reports/needs/open-data.csv?{RANGE}", headers=planner)
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    cell = {(r["section"], r["key"], r["measure"]): r["value"] for r in rows}
    assert cell[("needs_by_taxonomy", "BD", "needs")] == "10"
    assert cell[("needs_by_taxonomy", "BD", "unmet")] == ""  # withheld
    assert cell[("gaps_by_reason", "all", "unmet:declined")] == "0"
    full = client.get(f"/api/reports/needs.csv?{RANGE}", headers=planner).get_data(as_text=True)
    assert "needs_by_taxonomy,,BD,Food,unmet,4" in full
    specialist = token_for(app, "sam@example.org", "specialist", 1)
    assert client.get(f"/api/reports/needs?{RANGE}", headers=specialist).status_code == 403
    for query in ("region=atlantis", "fsa=K1A0B1", "from=2026-13-01"):
        resp = client.get(f"/api/reports/needs?{query}", headers=planner)
        assert resp.status_code == 400 and query.split("=")[0] in resp.get_json()["error"]


def test_cli_prints_the_report(app: Flask, db: Session) -> None:
    known_counts(db)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["needs", "report", "--from", "2026-11-01", "--to", "2026-12-31"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["totals"] == {"records": 14, "needs": 15, "unmet": 8}
    out = runner.invoke(args=["needs", "report", "--from", "2026-11-01", "--to", "2026-12-31",
                              "--open-data", "--format", "csv"])
    assert "needs_by_taxonomy,,BH,Housing/Shelter,needs,\n" in out.output
    out = runner.invoke(args=["needs", "report", "--from", "2026-11-01", "--to", "2026-12-31",
                              "--region", "atlantis"])
    assert out.exit_code != 0 and "unknown region" in out.output
