"""A time limit for one request's work, checked where that work loops.

gunicorn's ``timeout`` does not bound a request under the gthread worker (the worker's main
thread keeps beating while a request thread runs), and Python cannot stop a thread from outside.
So each read request carries its own deadline, in a context variable (each request thread has
its own), and the loops whose length depends on stored data (expanding the series of a window,
serialising a feed's events) check it between steps.  Past it, the request stops with
``DeadlineExceeded``, which the web layer answers 503 with Retry-After; what finished before
the deadline (built series, expansions, VEVENT blocks) stays in the caches, so the next attempt
goes further instead of starting again.

A pure utility like ``caching``: no Flask, no database; outside a request nothing is limited.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("calendar_deadline", default=None)


class DeadlineExceeded(Exception):
    """The request's work went past its time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"this request took more than {seconds:g} s")
        self.seconds = seconds


_limit: ContextVar[float] = ContextVar("calendar_deadline_seconds", default=0.0)


def start(seconds: float | None) -> None:
    """Give the work from now on ``seconds`` (None or 0: no limit) in this context."""
    if seconds:
        _deadline.set(time.monotonic() + seconds)
        _limit.set(seconds)
    else:
        _deadline.set(None)


def clear() -> None:
    """Lift the limit (the request ended; the thread will serve another)."""
    _deadline.set(None)


def check() -> None:
    """Raise ``DeadlineExceeded`` when the context's deadline has passed."""
    at = _deadline.get()
    if at is not None and time.monotonic() > at:
        raise DeadlineExceeded(_limit.get())


@contextmanager
def limited(seconds: float | None) -> Iterator[None]:
    """``with limited(2.0): ...``: the block's work under its own deadline."""
    start(seconds)
    try:
        yield
    finally:
        clear()
