"""The planners' pages on the first day (issue 10): reversed dates show the error and no figures
(not the default period's under it), an empty period says so, and the per-region charts draw
every label whole (measured in a real browser)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.contact_helpers import known_counts
from tests.directory_helpers import PASSWORD, add_user
from tests.test_reports import calls_fixture, survey_fixture

SURVEY, NEEDS = "/survey/reports/", "/needs/reports/"
REVERSED = "from=2026-12-31&to=2026-11-01"
EMPTY = "from=2025-01-01&to=2025-01-31"
FULL = "from=2026-11-01&to=2026-12-31"


@pytest.fixture
def planner(app: Flask, db: Session, client: FlaskClient) -> FlaskClient:
    survey_fixture(db)
    calls_fixture(db)
    db.commit()
    known_counts(db)
    db.commit()
    add_user(db, "pat@example.org", "planner")
    assert client.post("/login", data={"email": "pat@example.org",
                                       "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("path", [SURVEY, NEEDS])
def test_reversed_dates_show_the_error_and_no_figures(planner: FlaskClient, path: str) -> None:
    full = planner.get(f"{path}?{FULL}").get_data(as_text=True)
    assert "<svg" in full  # the same data does chart for a good period
    resp = planner.get(f"{path}?{REVERSED}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'class="error" role="alert"' in page
    assert "<svg" not in page and "<table" not in page and "No calls in this period" not in page
    assert 'value="2026-12-31"' in page and 'value="2026-11-01"' in page  # what was typed stays


@pytest.mark.parametrize("path", [SURVEY, NEEDS])
def test_an_empty_period_says_so(planner: FlaskClient, path: str) -> None:
    page = planner.get(f"{path}?{EMPTY}").get_data(as_text=True)
    assert "No calls in this period" in page and "<svg" not in page
    full = planner.get(f"{path}?{FULL}").get_data(as_text=True)
    assert "No calls in this period" not in full


MEASURE = """() => [...document.querySelectorAll('.region-chart svg, svg.bars')].map((svg) => {
  const box = svg.viewBox.baseVal, width = box.width || svg.width.baseVal.value;
  const bars = [...svg.querySelectorAll('rect')].map((r) => r.x.baseVal.value);
  const barStart = bars.length ? Math.min(...bars) : width;
  const texts = [...svg.querySelectorAll('text')].map((t) => {
    const b = t.getBBox();
    return {text: t.textContent, x: b.x, right: b.x + b.width, label: t.getAttribute('x') === '0'};
  });
  const own = svg.getBoundingClientRect(), parent = svg.parentElement.getBoundingClientRect();
  return {label: svg.getAttribute("aria-label"), width, barStart, texts,
          overflows: own.right > parent.right + 0.5};
})"""


@pytest.mark.browser
def test_the_per_region_charts_draw_every_label_whole(planner: FlaskClient, server: str) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser_helpers import ARGS, CHROMIUM, open_signed_in

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{server}{SURVEY}?{FULL}", "pat@example.org", PASSWORD)
        page.set_viewport_size({"width": 900, "height": 900})  # two charts a row: narrow cells
        charts = page.evaluate(MEASURE)
        browser.close()
    for chart in charts:
        assert not chart["overflows"], chart["label"]
        for t in chart["texts"]:
            assert t["x"] >= 0 and t["right"] <= chart["width"], (chart["label"], t)
            if t["label"]:
                assert t["right"] <= chart["barStart"], (chart["label"], t)  # not under a bar
    regional = [c for c in charts if "211 " in (c["label"] or "")]
    assert len(regional) >= 4, [c["label"] for c in charts]  # north and east, two kinds each
