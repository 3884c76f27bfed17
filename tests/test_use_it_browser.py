"""The README's "use it" command, end to end: `scripts/serve.sh` brings up the app with demo
staff, the demo specialist signs in on the lookup page in Chromium, the README's simulator
command places a call against the server, and the call pops up with the caller's context.

The server is the real one, started as the README says (a subprocess on a free port, its own
SQLite database, gunicorn in the foreground), not the test app.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_helpers import ARGS, CHROMIUM, free_port, open_signed_in, require_chromium

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 180  # set-up, migrations, a small directory, demo staff, gunicorn: ~25 s quiet


@dataclass
class Served:
    url: str
    output: Path

    def passwords(self) -> dict[str, str]:
        return dict(re.findall(r"(\S+@example\.org)\s+password: (\S+)", self.output.read_text()))


def up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:  # noqa: S310
            return resp.headers.get("X-Helpline-App") == "helpline211"
    except OSError:
        return False


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    require_chromium()
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
           "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path}/helpline.sqlite3",
           "JOURNAL_PATH": str(tmp_path / "journal.sqlite3"), "DEMO_SERVICES": "40"}
    if os.environ.get("SHARED_DATA_DIR"):
        env["SHARED_DATA_DIR"] = os.environ["SHARED_DATA_DIR"]
    output = tmp_path / "serve.log"
    with output.open("w") as log:
        proc = subprocess.Popen(["bash", "scripts/serve.sh"], cwd=ROOT, env=env,  # noqa: S607
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not up(url):
            assert proc.poll() is None, f"serve.sh exited {proc.returncode}:\n{output.read_text()}"
            assert time.monotonic() < deadline, f"not up in {START_SECONDS} s:\n{output.read_text()}"
            time.sleep(0.5)
        yield Served(url, output)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the group serve.sh started: gunicorn and workers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_use_it_command_gives_the_demo_specialist_the_screen_pop_of_a_simulated_call(
        served: Served) -> None:
    from playwright.sync_api import expect, sync_playwright

    passwords = served.passwords()
    assert set(passwords) == {"admin@example.org", "specialist@example.org", "planner@example.org",
                              "supervisor@example.org"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_signed_in(browser, f"{served.url}/directory/lookup", "specialist@example.org",
                              passwords["specialist@example.org"])
        expect(page.locator("#call")).to_be_hidden()
        # The README's command (a Wednesday afternoon: 211 North's demo phone answers).
        call = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "ivr.simulator", "--url", served.url, "--at", "2026-12-02T14:00"],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert call.returncode == 0, call.stdout + call.stderr
        assert "keeps its own clock" not in call.stderr  # serve.sh runs the demo clock
        assert "joins queue 211-north" in call.stdout and "Thank you for your answers" in call.stdout
        expect(page.locator("#call")).to_be_visible(timeout=5000)
        expect(page.locator("#call-language")).to_have_text("English")
        expect(page.locator("#call-region")).to_have_text("211 North")
        expect(page.locator("#call-need")).to_have_text("housing")
        waited = re.search(r"(\d+) min (\d+) s", page.locator("#call-waited").inner_text())
        assert waited and int(waited.group(1)) * 60 + int(waited.group(2)) >= 30  # simulated wait
        expect(page.locator("#region")).to_have_value("north")  # the search, for the caller
        browser.close()
