"""The report as JSON, CSV, CLI output and a dashboard page, for planners only."""

from __future__ import annotations

import csv
import io
import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accounts.cli import create_user
from tests.test_reports import calls_fixture, survey_fixture

RANGE = "from=2026-11-01&to=2026-12-31"


def token_for(app: Flask, role: str) -> str:
    with app.app_context():
        return create_user(f"{role}@example.org", role.title(), role, "a-long-password-1")


def filled(db: Session) -> None:
    survey_fixture(db)
    calls_fixture(db)
    db.commit()


def test_planner_gets_json(app: Flask, client: FlaskClient, db: Session) -> None:
    filled(db)
    auth = {"Authorization": f"Bearer {token_for(app, 'planner')}"}
    body = client.get(f"/api/reports/summary?{RANGE}", headers=auth).get_json()
    overall = body["breakdowns"]["overall"][0]
    assert overall["figures"]["very_satisfied"]["pct"] == 75.0
    assert overall["calls"]["calls"] == 7


def test_csv_has_a_row_per_group_and_measure(app: Flask, client: FlaskClient, db: Session) -> None:
    filled(db)
    auth = {"Authorization": f"Bearer {token_for(app, 'planner')}"}
    resp = client.get(f"/api/reports/summary.csv?{RANGE}", headers=auth)
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    [north] = [r for r in rows if (r["dimension"], r["key"], r["measure"]) ==
               ("region", "north", "very_satisfied")]
    assert (north["value"], north["positive"], north["answered"], north["ci_low"]) == (
        "80.0", "8", "10", "49.0")


def test_access_and_bad_input(app: Flask, client: FlaskClient) -> None:
    assert client.get("/api/reports/summary").status_code == 401
    specialist = {"Authorization": f"Bearer {token_for(app, 'specialist')}"}
    assert client.get("/api/reports/summary", headers=specialist).status_code == 403
    planner = {"Authorization": f"Bearer {token_for(app, 'planner')}"}
    for query in ("from=2026-13-01", "from=2026-12-01&to=2026-11-01", "from=2020-01-01&to=2026-01-01"):
        resp = client.get(f"/api/reports/summary?{query}", headers=planner)
        assert resp.status_code == 400 and "error" in resp.get_json()


def test_cli_prints_json_and_csv(app: Flask, db: Session) -> None:
    filled(db)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["survey", "report", "--from", "2026-11-01", "--to", "2026-12-31",
                              "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["breakdowns"]["region"][0]["key"] == "east"
    out = runner.invoke(args=["survey", "report", "--from", "2026-11-01", "--to", "2026-12-31",
                              "--format", "csv"])
    assert out.exit_code == 0 and out.output.startswith("section,dimension,key,measure")


def test_dashboard_for_planners(app: Flask, client: FlaskClient, db: Session) -> None:
    filled(db)
    token_for(app, "planner")
    assert client.get("/survey/reports/").status_code == 302  # sign in first
    client.post("/login", data={"email": "planner@example.org", "password": "a-long-password-1"})
    page = client.get(f"/survey/reports/?{RANGE}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "Very satisfied" in html
    assert "80.0" in html and "<script" not in html
    home = client.get("/").get_data(as_text=True)
    assert "Caller survey and call reports" in home
