"""SQL statements of three requests, counted: a cold feed build, an agenda miss and an editor save.

A statement count does not drift with the machine's load as seconds do, so a change to how the
layers talk to the database shows here exactly.  Each request runs on a fresh app (cold caches)
over the seeded calendar in a new SQLite file, as `make run` serves it; the schema comes from the
migrations.  Run it on two checkouts to compare them (the second path's figures print beside the
first's):

    .venv/bin/python bench/statements.py
    .venv/bin/python bench/statements.py --against /path/to/other/checkout
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent

EDITOR_FORM = {
    "title": "Monthly TPS seminar",
    "start_time": "14:00",
    "end_time": "15:00",
    "recurrence": "none",
    "ends": "never",
    "status": "confirmed",
    "published": "published",
    "location": "British Library",
    "new_category": "",
    "save": "Save",
}


def count_here() -> dict[str, int]:
    """The three counts for the checkout this script runs from (imported from ``sys.path``)."""
    from flask_migrate import upgrade
    from sqlalchemy import event as sa_event

    from calendar_service import create_app
    from calendar_service.clock import today
    from calendar_service.store import accounts
    from calendar_service.store.db import db
    from calendar_service.store.seed import load_seed

    folder = Path(tempfile.mkdtemp())
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'calendar.db'}",
    }
    setup = create_app(config)
    with setup.app_context():
        upgrade()
        load_seed()
        accounts.create_organiser("bench@example.org", "correct horse battery", admin=True)
        db.session.commit()
        db.engine.dispose()

    def counted(request: Any) -> int:
        app = create_app(config)
        seen: list[str] = []
        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
        client = app.test_client()
        before = request(client, seen)
        with app.app_context():
            db.engine.dispose()
        return len(seen) - before

    def feed(client: Any, seen: list[str]) -> int:
        assert client.get("/calendars/turing-roche.ics").status_code == 200
        return 0

    def agenda(client: Any, seen: list[str]) -> int:
        assert client.get("/").status_code == 200
        return 0

    def save(client: Any, seen: list[str]) -> int:
        signed = client.post(
            "/organiser/sign-in",
            data={"email": "bench@example.org", "password": "correct horse battery"},
        )
        assert signed.status_code == 302, signed.status_code
        dashboard = client.get("/organiser/").text
        uid = re.findall(r'href="/organiser/events/([^"]+)/edit"', dashboard)[0]
        page = client.get(f"/organiser/events/{uid}/edit").text
        revision = page.split('name="revision" type="hidden" value="')[1].split('"')[0]
        start = str(today(ZoneInfo("Europe/London")).replace(day=1) + timedelta(days=400))
        before = len(seen)
        saved = client.post(
            f"/organiser/events/{uid}/edit",
            data={
                **EDITOR_FORM,
                "calendar": "turing-roche",
                "start_date": start,
                "revision": revision,
            },
        )
        assert saved.status_code == 302, saved.text[:2000]
        return before

    return {
        "cold feed build": counted(feed),
        "agenda miss": counted(agenda),
        "editor save": counted(save),
    }


def count_in(checkout: Path) -> dict[str, int]:
    """The counts of another checkout, measured by its own copy of this script's code."""
    python = checkout / ".venv" / "bin" / "python"
    output = subprocess.run(
        [str(python if python.exists() else sys.executable), __file__, "--json"],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="another checkout to count beside this one")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path.cwd()))
    if args.json:
        print(json.dumps(count_here()))
        return
    here = count_in(ROOT)
    other = count_in(args.against) if args.against else None
    label = str(args.against) if args.against else ""
    print(f"{'SQL statements':<18} {str(ROOT):>28} {label:>28}")
    for name, count in here.items():
        print(f"{name:<18} {count:>28} {other[name] if other else '':>28}")


if __name__ == "__main__":
    main()
