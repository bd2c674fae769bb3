"""Helpers for the pure recurrence tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rules import Override, Series, Window, expand


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(*args: int) -> datetime:
    """A naive local wall time (the domain's type for timed starts and recurrence ids)."""
    return datetime(*args)  # type: ignore[misc]  # noqa: DTZ001


def make(
    start: datetime | date,
    rrule: str | None = None,
    *,
    tzid: str = "Europe/London",
    duration: timedelta | None = None,
    rdates: tuple = (),
    exdates: tuple = (),
    overrides: tuple[Override, ...] = (),
) -> Series:
    if duration is None:
        duration = timedelta(hours=1) if isinstance(start, datetime) else timedelta(days=1)
    return Series(
        start=start,
        end=start + duration,
        tzid=tzid,
        rrule=rrule,
        rdates=rdates,
        exdates=exdates,
        overrides=overrides,
    )


def starts(series: Series, start: datetime, end: datetime, **kw: int) -> list:
    """Recurrence ids (local starts) of the occurrences in [start, end) UTC."""
    return [o.recurrence_id for o in expand(series, Window(start, end), **kw).occurrences]
