"""Running the app as people run it: the server commands, and requests on new connections."""

from __future__ import annotations

import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# `make serve`'s server, one worker; a test adds --threads and the like.
GUNICORN = [
    str(BIN / "gunicorn"),
    "--config",
    "deploy/gunicorn.conf.py",
    "--workers",
    "1",
    "--bind",
    "127.0.0.1:{port}",
    "wsgi:app",
]
# `make run`'s server: the development server, a thread per request.
DEVELOPMENT = [str(BIN / "flask"), "--app", "calendar_service", "run", "--port", "{port}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes, float]:
    """(status, headers, body, seconds) of one request on a new connection."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            data = response.read()
            return response.status, dict(response.headers), data, time.monotonic() - started
    except urllib.error.HTTPError as error:
        data = error.read()
        return error.code, dict(error.headers), data, time.monotonic() - started
