"""The window query reads series by their stored end bound, not every series that began before
the window (bench/bench_agenda.py shows the timings; this pins the plan)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

import rules
from calendar_service import create_app
from calendar_service.store.db import db
from calendar_service.store.occurrences import window_query


def test_sqlite_plans_the_window_query_on_the_end_bound_index(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'plan.sqlite3'}",
        }
    )
    window = rules.Window(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))
    with app.app_context():
        db.create_all()
        sql = window_query(window).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        db.engine.dispose()
    assert sum("USING COVERING INDEX ix_events_ends" in step for step in plan) == 2, plan
    assert not any(step.startswith("SCAN events") for step in plan), plan
