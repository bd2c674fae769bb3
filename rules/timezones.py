"""Wall time ↔ UTC in IANA zones, with zoneinfo only (never pytz).

RFC 5545 §3.3.5: a local time that does not exist (skipped by a clock change) is read with the
UTC offset from *before* the gap; one that happens twice is the first of the two.  That is
exactly ``fold=0`` in zoneinfo (PEP 495), which is what ``to_utc`` uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rules.model import Moment

# Files in the zone directory that are not IANA zone names a person would choose.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def is_valid_zone(tzid: str) -> bool:
    """True when ``tzid`` names an IANA zone that zoneinfo (with tzdata) can load."""
    if not isinstance(tzid, str) or not tzid or tzid not in _known_zones():
        return False
    try:
        ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def zone(tzid: str) -> ZoneInfo:
    """The ZoneInfo for ``tzid`` (zoneinfo caches instances); raises ``ValueError`` if unknown."""
    if not is_valid_zone(tzid):
        raise ValueError(f"unknown time zone {tzid!r}")
    return ZoneInfo(tzid)


def to_utc(value: Moment, tzid: str) -> datetime:
    """Aware UTC instant of local wall time ``value`` (or local midnight of a date) in ``tzid``.

    Nonexistent local times use the offset before the gap, ambiguous ones the first offset
    (RFC 5545 §3.3.5).  An aware ``value`` is simply converted.
    """
    tz = zone(tzid)
    return _to_utc(value, tz)


def _to_utc(value: Moment, tz: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)  # noqa: DTZ001
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_from_aware(value: datetime, tzid: str) -> datetime:
    """Naive wall time in ``tzid`` of the aware instant ``value``; raises ValueError if naive."""
    if value.tzinfo is None:
        raise ValueError("local_from_aware needs an aware datetime")
    return value.astimezone(zone(tzid)).replace(tzinfo=None, fold=0)


__all__ = ["UTC", "date", "is_valid_zone", "local_from_aware", "to_utc", "zone"]


def clock_change_at(value: datetime, tzid: str) -> str | None:
    """``"gap"`` when a clock change skips the local wall time ``value`` in ``tzid`` (spring
    forward), ``"fold"`` when one repeats it (fall back), else None.  A gap time is placed with
    the offset before the gap, a fold time at its first instance (RFC 5545 §3.3.5)."""
    tz = zone(tzid)
    local = value.replace(tzinfo=None)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return "gap" if back != local else "fold"
