"""One zone database on every machine: the ``tzdata`` package that pyproject.toml pins.

``zoneinfo`` reads the system's zone files (``/usr/share/zoneinfo``) before the ``tzdata``
package, so the same service would place times differently on two machines whose systems were
updated at different dates: Morocco's rules changed in 2026, and a Debian 2025b system still
put Casablanca at +01 where 2026f says +00.  Importing ``rules`` empties zoneinfo's search path,
so every ZoneInfo (ours, icalendar's, dateutil's through zoneinfo) comes from the package, and
``version()`` says which release that is (``/healthz`` and ``calendar-service version`` show
it).
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from importlib import metadata


def use_packaged_zone_data() -> None:
    """Read zones from the ``tzdata`` package only; zones loaded before are forgotten."""
    if zoneinfo.TZPATH:
        zoneinfo.reset_tzpath(to=())
        zoneinfo.ZoneInfo.clear_cache()


@cache
def version() -> str:
    """The IANA release of the zone data in use, e.g. ``"2026f"``, and the package's version."""
    import tzdata

    return f"{tzdata.IANA_VERSION} (tzdata {metadata.version('tzdata')})"


use_packaged_zone_data()
