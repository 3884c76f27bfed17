"""Sign-in timing: a wrong password for an existing account against an unknown account.

    python bench/signin.py [--rounds 40]

An attacker who can time answers can tell which emails have accounts when an unknown email
skips the password hash. Both cases are measured in the same run, interleaved, and the ratio
of their medians printed (target: close to 1.0; before the dummy hash it was about 30).
The throttle is set high so it does not answer instead.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts.models import User
from app import create_app
from config.database import Base
from config.models import import_all_models
from config.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    import_all_models()
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings(), database_url=f"sqlite:///{tmp}/bench.sqlite3",
                           journal_path=f"{tmp}/journal.sqlite3", testing=True,
                           signin_limit_per_account="100000 per minute",
                           signin_limit_per_address="100000 per minute")
        app = create_app(settings)
        Base.metadata.create_all(app.extensions["db_engine"])
        db = app.extensions["db_sessionmaker"]()
        user = User(email="known@example.org", name="Known", role="planner", password_hash="")
        user.set_password("the-right-password-1")
        db.add(user)
        db.commit()
        db.close()
        client = app.test_client()
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for _ in range(args.rounds):
            for kind in ("known", "unknown"):
                start = time.perf_counter()
                resp = client.post("/login", data={"email": f"{kind}@example.org",
                                                   "password": "a-wrong-password"})
                times[kind].append(time.perf_counter() - start)
                assert resp.status_code == 401
        known, unknown = (statistics.median(times[k]) * 1000 for k in ("known", "unknown"))
        app.extensions["durable"].stop()
    print(f"wrong password, existing account: {known:.1f} ms (median of {args.rounds})")
    print(f"unknown account:                  {unknown:.1f} ms")
    print(f"ratio existing / unknown:         {known / unknown:.2f}")


if __name__ == "__main__":
    main()
