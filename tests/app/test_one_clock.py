"""The service has one clock (``calendar_service.clock``), and the tests build "today" from it.

A second source of the date — ``datetime.now()`` in a view, ``date.today()`` in a test — is how a
suite starts failing on the first of a month: the app's idea of today moves with the clock the
tests set, the other does not.  So both trees are read for such calls.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from calendar_service.clock import utcnow

if TYPE_CHECKING:
    from tests.conftest import Clock

ROOT = Path(__file__).resolve().parents[2]

# Reading the real time is these modules' job: the clock itself, and the script that works out
# how far CI moves it.
ALLOWED = {ROOT / "calendar_service" / "clock.py", ROOT / "tests" / "clock_offset.py"}
DATE_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
TIME_CALLS = {("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}


def calls_in(path: Path, forbidden: set[tuple[str, str]]) -> list[str]:
    """``name.attribute(...)`` calls of ``forbidden`` in the file, as "line name.attr()"."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return [
        f"{shown}:{node.lineno} {node.func.value.id}.{node.func.attr}()"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in forbidden
    ]


def sources(folder: str) -> list[Path]:
    return [path for path in sorted((ROOT / folder).rglob("*.py")) if path not in ALLOWED]


def test_the_service_asks_only_its_clock_for_the_time() -> None:
    found = [
        call
        for folder in ("calendar_service", "rules")
        for path in sources(folder)
        for call in calls_in(path, DATE_CALLS | TIME_CALLS)
    ]
    assert found == []


def test_the_tests_ask_the_apps_clock_for_today() -> None:
    found = [call for path in sources("tests") for call in calls_in(path, DATE_CALLS)]
    assert found == []


def test_the_check_finds_a_second_clock(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import time\nfrom datetime import UTC, date, datetime\n"
        "A = date.today()\nB = datetime.now(UTC)\nC = time.time()\n"
    )

    assert calls_in(planted, DATE_CALLS | TIME_CALLS) == [
        "planted.py:3 date.today()",
        "planted.py:4 datetime.now()",
        "planted.py:5 time.time()",
    ]


def clock_of_a_process(offset: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from calendar_service.clock import utcnow; print(utcnow())"],
        cwd=ROOT,
        env={**os.environ, "CALENDAR_CLOCK_OFFSET": offset},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_process_started_with_an_offset_reads_a_moved_clock() -> None:
    done = clock_of_a_process(str(400 * 86400))
    real = datetime.fromtimestamp(time.time(), UTC)  # no clock is set in this test

    assert done.returncode == 0, done.stderr
    moved = datetime.fromisoformat(done.stdout.strip())
    assert timedelta(days=399, hours=23) < moved - real <= timedelta(days=400)


def test_an_offset_that_is_no_number_is_one_readable_line() -> None:
    done = clock_of_a_process("400 days")

    assert done.returncode == 1
    assert done.stderr == (
        "CALENDAR_CLOCK_OFFSET='400 days' is not a number of seconds "
        "(for example 34560000 for 400 days)\n"
    )


@pytest.mark.now("2031-02-03T04:05:06+00:00")
def test_the_marked_time_is_the_services_and_its_processes(
    clock_environment: Callable[[], dict[str, str]],
) -> None:
    set_at = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    done = clock_of_a_process(clock_environment()["CALENDAR_CLOCK_OFFSET"])

    assert set_at <= utcnow() < set_at + timedelta(minutes=1)
    assert done.returncode == 0, done.stderr
    assert set_at <= datetime.fromisoformat(done.stdout.strip()) < set_at + timedelta(minutes=1)


def test_the_clock_fixture_moves_the_service(clock: Clock) -> None:
    clock.set("2030-12-31T23:59:00+00:00", tick=False)
    assert (utcnow(), clock.today("Pacific/Auckland")) == (
        datetime(2030, 12, 31, 23, 59, tzinfo=UTC),
        date(2031, 1, 1),
    )
    clock.move(timedelta(days=2))
    assert utcnow() == datetime(2031, 1, 2, 23, 59, tzinfo=UTC)
