"""Serving the app as people run it: real server processes on the test database."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_servers import ROOT, fetch, free_port
from flask import Flask


@pytest.fixture
def serve(
    app: Flask, tmp_path: Path, clock_environment: Callable[[], dict[str, str]]
) -> Iterator[Callable[..., str]]:
    """``serve(command, settings=None)`` starts a server process (``{port}`` in the command is
    filled in; ``settings`` adds environment variables) on the test database and returns its
    base URL once /healthz answers; all stop at the end."""
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "CALENDAR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CALENDAR_SECRET_KEY": "test-secret-key",
        "CALENDAR_INSTANCE_PATH": str(tmp_path / "instance"),
        "GUNICORN_ACCESS_LOG": "",
    }

    def start(command: list[str], settings: dict[str, str] | None = None) -> str:
        port = free_port()
        command = [part.replace("{port}", str(port)) for part in command]
        processes.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**env, **clock_environment(), **(settings or {})},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
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
