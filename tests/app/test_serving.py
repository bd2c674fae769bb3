"""The app served the ways people run it, hit with many requests: the development server of
`make run` (a thread per request) and gunicorn with many threads.  Every answer must come, fast,
and none may be a 5xx: a connection a request takes is always given back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow

# The slowest answer allowed: a small calendar's pages take milliseconds.
SLOW = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, float, dict[str, str]]:
    """(status, seconds, headers) of one GET on a new connection."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            response.read()
            return response.status, time.monotonic() - started, dict(response.headers)
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, time.monotonic() - started, dict(error.headers)


@pytest.fixture
def served(app: Flask, make_event: Callable[..., dict], tmp_path: Path
           ) -> Iterator[Callable[[list[str]], str]]:
    """Start a server process on the test database with a small calendar in it."""
    make_event(title="TPS seminar", rrule="FREQ=MONTHLY;BYDAY=-1WE", start="2026-01-28T14:00:00")
    make_event(title="Co-working", rrule="FREQ=WEEKLY;BYDAY=TU", start="2026-01-06T10:00:00")
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "CALENDAR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CALENDAR_SECRET_KEY": "test-secret-key",
        "CALENDAR_INSTANCE_PATH": str(tmp_path / "instance"),
        "GUNICORN_ACCESS_LOG": "",
    }

    def start(command: list[str]) -> str:
        port = free_port()
        command = [part.replace("{port}", str(port)) for part in command]
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if fetch(f"{base}/healthz")[0] == 200:
                    return base
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{command[0]} did not answer within 30 s")

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def requests_for(base: str) -> list[tuple[str, dict[str, str]]]:
    """What subscribers and visitors send: feed fetches and polls, pages, the API, health."""
    etag = fetch(f"{base}/calendars/test.ics")[2]["ETag"]
    return [
        (f"{base}/calendars/test.ics", {}),
        (f"{base}/calendars/test.ics", {"If-None-Match": etag}),
        (f"{base}/calendars/test.ics", {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
        (f"{base}/?from=2026-06-01", {}),
        (f"{base}/api/v1/occurrences?start=2026-06-01&end=2026-07-01", {}),
        (f"{base}/calendars/test/2026/6", {}),
        (f"{base}/healthz", {}),
    ]


def hammer(base: str, sequential: int, parallel: int, clients: int) -> list[tuple[int, float]]:
    """``sequential`` requests one after another, then ``parallel`` from ``clients`` at once,
    after one of each to warm the server up (its first page compiles the templates)."""
    mix = requests_for(base)
    for url, headers in mix:
        fetch(url, headers)
    answers = [fetch(*mix[index % len(mix)])[:2] for index in range(sequential)]
    with ThreadPoolExecutor(clients) as pool:
        answers += [answer[:2] for answer in pool.map(
            lambda index: fetch(*mix[index % len(mix)]), range(parallel))]
    return answers


def check(answers: list[tuple[int, float]]) -> None:
    statuses = sorted({status for status, _ in answers})
    slowest = max(seconds for _, seconds in answers)
    assert statuses in ([200, 304], [200, 304, 404]) and 404 not in statuses, statuses
    assert slowest < SLOW, f"the slowest answer took {slowest:.2f} s"


def test_the_development_server_keeps_answering(served: Callable[[list[str]], str]) -> None:
    """`make run` serves with `flask run`: a thread per request, hundreds of them."""
    base = served([str(BIN / "flask"), "--app", "calendar_service", "run", "--port", "{port}"])
    answers = hammer(base, sequential=350, parallel=150, clients=8)
    check(answers)
    assert len(answers) == 500
    # It still answers afterwards, and says it is healthy.
    assert fetch(f"{base}/healthz")[0] == 200


@pytest.mark.parametrize("threads", [1, 32])
def test_gunicorn_keeps_answering_at_any_thread_count(
    served: Callable[[list[str]], str], threads: int
) -> None:
    base = served([str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", "--workers", "1",
                   "--threads", str(threads), "--bind", "127.0.0.1:{port}", "wsgi:app"])
    answers = hammer(base, sequential=200, parallel=200, clients=16)
    check(answers)
    assert fetch(f"{base}/healthz")[0] == 200
