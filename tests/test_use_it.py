"""For a newcomer: the demo's commands, and the simulator pointed at a running server.

`flask specialists list`, `flask demo staff`, `flask directory generate --if-empty`; the
simulator's options adding to the demo caller's script; `--at` against a server that takes
the simulated time (DEMO_CLOCK) and one that does not; a busy port or another program on
it; the caller hanging up, typed or by Ctrl-D. (`users add` refusing an existing email and a
short password: tests/test_signin_security.py.)
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from accounts.models import User
from app import create_app
from config.settings import InsecureConfiguration, Settings
from ivr.cli import DEMO_SPECIALISTS
from ivr.models import RESULT_ANSWERED, RESULT_IVR_ABANDONED
from ivr.simulator.cli import SimClock, main, typical_answer
from survey.jobs import default_twilio_factory
from tests.calls import add_specialists, only_record
from tests.conftest import AUTH_TOKEN, LAB_BASE_URL, PUBLIC_BASE_URL
from tests.directory_helpers import small_directory

ROOT = Path(__file__).resolve().parent.parent
SORRY = "didn't get that"
REAL_SECRETS = replace(Settings(), twilio_auth_token="a-real-twilio-auth-token",
                       secret_key="s" * 40, caller_hash_key="k" * 40)


def sign_in_status(app: Flask, email: str, password: str) -> int:
    return app.test_client().post("/login", data={"email": email, "password": password}).status_code


# -- the CLI commands -------------------------------------------------------------------------

def test_specialists_list_shows_each_phone_and_the_sign_in_linked(lab: Flask) -> None:
    runner = lab.test_cli_runner()
    assert "no specialists" in runner.invoke(args=["specialists", "list"]).output
    staff = runner.invoke(args=["demo", "staff"])
    assert staff.exit_code == 0, staff.output
    listed = runner.invoke(args=["specialists", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == len(DEMO_SPECIALISTS)
    north = next(line for line in lines if DEMO_SPECIALISTS["north"] in line)
    assert "north" in north and "specialist@example.org" in north
    others = [line for line in lines if line is not north]
    assert all("no sign-in linked" in line for line in others)


def printed_passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"(\S+@example\.org)\s+password: (\S+)", output))


def test_demo_staff_prints_passwords_that_sign_in_and_links_the_specialist(
        lab: Flask, lab_db: Session) -> None:
    app, db = lab, lab_db
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "staff"])
    assert first.exit_code == 0, first.output
    passwords = printed_passwords(first.output)
    assert set(passwords) == {"admin@example.org", "specialist@example.org", "planner@example.org",
                              "supervisor@example.org"}
    for email, password in passwords.items():
        assert sign_in_status(app, email, password) == 302, email
    users = {u.email: u for u in db.scalars(select(User))}
    assert {u.role for u in users.values()} == {"admin", "specialist", "planner", "supervisor"}
    linked = users["specialist@example.org"].specialist_id
    from ivr.models import Specialist
    phone = db.scalar(select(Specialist.phone).where(Specialist.id == linked))
    assert phone == DEMO_SPECIALISTS["north"]
    assert DEMO_SPECIALISTS["north"] in first.output

    again = runner.invoke(args=["demo", "staff"])  # each run: new passwords, the same accounts
    renewed = printed_passwords(again.output)
    assert again.exit_code == 0 and set(renewed) == set(passwords)
    assert all(renewed[e] != passwords[e] for e in passwords)
    assert sign_in_status(app, "admin@example.org", passwords["admin@example.org"]) == 401
    assert sign_in_status(app, "admin@example.org", renewed["admin@example.org"]) == 302
    db.expire_all()
    assert len(db.scalars(select(User)).all()) == 4


def test_demo_staff_is_refused_in_production(app: Flask, db: Session) -> None:
    assert app.extensions["settings"].is_production  # the tests' app is served over https
    result = app.test_cli_runner().invoke(args=["demo", "staff"])
    assert result.exit_code == 1 and "production" in result.output
    assert db.scalars(select(User)).all() == []


def test_generate_if_empty_leaves_a_loaded_directory_alone(app: Flask) -> None:
    small_directory(app)
    result = app.test_cli_runner().invoke(args=["directory", "generate", "--if-empty",
                                                "--services", "5"])
    assert result.exit_code == 0, result.output
    assert "already holds" in result.output and "generated" not in result.output


# -- the demo clock ------------------------------------------------------------------------------

def test_production_refuses_the_demo_clock() -> None:
    https = replace(REAL_SECRETS, public_base_url="https://211.example.org")
    declared = replace(REAL_SECRETS, environment="production")
    for real in (https, declared):
        assert real.development_defaults() == []
        with pytest.raises(InsecureConfiguration, match="DEMO_CLOCK"):
            create_app(replace(real, demo_clock=True))


def test_the_demo_time_header_is_taken_only_with_the_setting(app: Flask, lab: Flask,
                                                             clock: SimClock) -> None:
    from config.clock import now

    header = {"X-Demo-Time": "2026-12-25T08:00:00+00:00"}
    assert "X-Demo-Clock" not in app.test_client().get("/healthz", headers=header).headers
    with app.test_request_context("/", headers=header):
        assert now() == clock.current  # off: the header changes nothing
    on = lab.test_client().get("/healthz", headers=header)
    assert on.headers["X-Demo-Clock"] == "2026-12-25T08:00:00+00:00"
    assert "X-Demo-Clock" not in lab.test_client().get("/healthz").headers
    with lab.test_request_context("/", headers=header):
        assert now().isoformat() == "2026-12-25T08:00:00+00:00"
    with lab.test_request_context("/", headers={"X-Demo-Time": "not a time"}):
        assert now() == clock.current
    with lab.test_request_context("/"):
        assert now() == clock.current  # no header: the clock it wraps


# -- the simulator's script ----------------------------------------------------------------------

def test_the_typical_caller_answers_each_menu_and_the_survey() -> None:
    assert typical_answer("/voice/language?attempt=0", "dtmf speech") == "1"
    assert typical_answer("/voice/location?attempt=1&l=en", "speech") == "say:Sudbury"
    assert typical_answer("/voice/need?attempt=0", "dtmf speech") == "2"
    assert typical_answer("/survey/answer?q=satisfaction&v=2026.2&attempt=0", "dtmf speech") == "5"
    assert typical_answer("/survey/answer?q=consent&v=2026.2&attempt=0", "dtmf speech") == "3"
    assert typical_answer("/voice/location", "dtmf") == "silence"  # no speech: cannot say it
    assert typical_answer("/somewhere/else", "dtmf") == "silence"


def test_at_alone_in_process_gives_a_whole_call_not_a_silent_caller(app: Flask, db: Session) -> None:
    add_specialists(db)
    result = app.test_cli_runner().invoke(args=["simulate", "--at", "2026-12-25T03:00"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert SORRY not in out
    assert 'says "Sudbury"' in out and "joins queue 211-after-hours" in out
    assert "the specialist is on the line with the caller" in out
    assert "Thank you for your answers" in out  # the survey, answered
    record = only_record(db)
    assert record.result == RESULT_ANSWERED and record.region == "north"


def test_keys_come_first_then_the_typical_caller_or_silence(app: Flask, db: Session) -> None:
    add_specialists(db)
    runner = app.test_cli_runner()
    french = runner.invoke(args=["simulate", "--keys", "2", "--at", "2026-12-02T14:00"])
    assert french.exit_code == 0, french.output
    assert "joins queue 211-north" in french.output and "[fr-CA]" in french.output
    assert "Merci" in french.output.split("the specialist is on the line")[1]  # French survey
    silent = runner.invoke(args=["simulate", "--keys", "1", "--then", "silence",
                                 "--at", "2026-12-02T14:00", "--specialist", ""])
    assert silent.exit_code == 0, silent.output
    assert "(says nothing)" in silent.output and 'says "Sudbury"' not in silent.output


def test_the_caller_can_hang_up_by_key_by_typing_it_and_by_ctrl_d(app: Flask, db: Session) -> None:
    runner = app.test_cli_runner()
    scripted = runner.invoke(args=["simulate", "--keys", "1,hangup"])
    assert scripted.exit_code == 0, scripted.output
    assert "caller             hangs up" in scripted.output and "joins queue" not in scripted.output
    record = only_record(db)
    assert record.result == RESULT_IVR_ABANDONED and record.ended_at is not None
    typed = runner.invoke(args=["simulate", "--interactive"], input="1\nhangup\n")
    assert typed.exit_code == 0, typed.output
    assert "hangs up" in typed.output and "Sudbury" not in typed.output
    eof = runner.invoke(args=["simulate", "--interactive"], input="")  # Ctrl-D at the first menu
    assert eof.exit_code == 0, eof.output
    assert "hangs up" in eof.output and "Please say the name of your city" not in eof.output


# -- the simulator against a running server ----------------------------------------------------

@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app over HTTP, its REST requests sent (as by TWILIO_API_BASE) to the simulator's
    stand-in on `app.extensions["sim_rest_port"]`, which `run_simulator` serves there."""
    rest_port = free_port()
    app.extensions["settings"] = replace(app.extensions["settings"],
                                         twilio_api_base=f"http://127.0.0.1:{rest_port}")
    app.extensions["twilio_client_factory"] = default_twilio_factory(app)
    app.extensions["sim_rest_port"] = rest_port
    port = free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_simulator(url: str, *args: str, base: str = PUBLIC_BASE_URL,
                  app: Flask | None = None) -> tuple[int, str]:
    from click.testing import CliRunner

    rest = ["--rest-port", str(app.extensions["sim_rest_port"])] if app is not None else []
    result = CliRunner().invoke(main, ["--url", url, "--auth-token", AUTH_TOKEN,
                                       "--public-base-url", base, *rest, *args])
    return result.exit_code, result.output


def test_at_against_a_server_that_keeps_its_own_clock_is_refused_clearly(app: Flask,
                                                                         db: Session) -> None:
    add_specialists(db)
    with serving(app) as url:
        code, out = run_simulator(url, "--at", "2026-12-25T03:00")
        assert code == 2 and "keeps its own clock" in out and "DEMO_CLOCK" in out
        code, out = run_simulator(url, app=app)  # without --at it runs, and says what the clock means
        assert code == 0, out
        assert "keeps its own clock" in out and "the specialist is on the line" in out


def test_at_and_waits_reach_a_server_on_the_demo_clock(lab: Flask, lab_db: Session) -> None:
    add_specialists(lab_db)
    with serving(lab) as url:  # the app's own clock says Monday 10:00: North is open
        code, out = run_simulator(url, "--at", "2026-12-25T03:00", "--answer-after", "110",
                                  base=LAB_BASE_URL, app=lab)
    assert code == 0, out
    assert "keeps its own clock" not in out and SORRY not in out
    assert "joins queue 211-after-hours" in out  # Christmas, 3 a.m.: the server took --at
    # The whisper counts simulated seconds (the specialist dials in 110 s into the wait),
    # not the milliseconds of real time the run took ("waited 0 seconds" before).
    said = re.search(r"waited (\d+) minutes? (\d+) seconds?", out)
    assert said, out
    assert 110 <= int(said.group(1)) * 60 + int(said.group(2)) <= 140
    record = only_record(lab_db)
    assert record.result == RESULT_ANSWERED
    assert record.started_at.isoformat().startswith("2026-12-25T08:00")


class Unsupported(BaseHTTPRequestHandler):
    """Another program on the port: answers every POST and GET 501, as `http.server` does."""

    def log_message(self, *args: object) -> None:
        pass


def test_another_program_or_nothing_on_the_port_is_named_as_such() -> None:
    httpd = HTTPServer(("127.0.0.1", 0), Unsupported)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        code, out = run_simulator(f"http://127.0.0.1:{httpd.server_port}")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert code == 2 and "is not the helpline app" in out and "501" in out
    assert "another program" in out and "/voice/incoming" not in out
    code, out = run_simulator(f"http://127.0.0.1:{free_port()}")
    assert code == 2 and "nothing answers" in out and "scripts/serve.sh" in out


def test_serve_reports_a_busy_port_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
               "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path}/h.sqlite3"}
        done = subprocess.run(["bash", "scripts/serve.sh"], cwd=ROOT, env=env,  # noqa: S607
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is busy" in done.stderr
    assert not (tmp_path / "h.sqlite3").exists()  # it stopped before touching the database
