"""One zone database on every machine: the pinned ``tzdata`` package, whatever the system has."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime
from importlib import metadata, resources
from typing import Any

import tzdata
from flask.testing import FlaskClient, FlaskCliRunner


def packaged_zone(key: str) -> zoneinfo.ZoneInfo:
    """The zone read straight from the installed tzdata package's file."""
    area, _, city = key.partition("/")
    with resources.files(f"tzdata.zoneinfo.{area}").joinpath(city).open("rb") as file:
        return zoneinfo.ZoneInfo.from_file(file, key=key)


def test_zoneinfo_searches_no_system_folder() -> None:
    assert zoneinfo.TZPATH == ()


def test_casablanca_in_the_api_has_the_packaged_offset(
    client: FlaskClient,
    make_calendar: Callable[..., dict[str, Any]],
    make_event: Callable[..., dict[str, Any]],
) -> None:
    """Morocco's rules changed in 2026: a system with older data (Debian's 2025b) says +01 on
    3 January 2027, the 2026 releases +00.  The service says what its tzdata package says."""
    make_calendar(slug="rabat", timezone="Africa/Casablanca")
    make_event(
        calendar="rabat", title="Meet-up", start="2027-01-03T12:00:00", timezone="Africa/Casablanca"
    )
    expected = datetime(2027, 1, 3, 12, tzinfo=packaged_zone("Africa/Casablanca"))

    response = client.get(
        "/api/v1/occurrences?calendar=rabat&start=2027-01-03T00:00:00Z&end=2027-01-04T00:00:00Z"
    )

    assert response.status_code == 200
    [occurrence] = response.get_json()["occurrences"]
    assert datetime.fromisoformat(occurrence["start"]) == expected
    assert datetime.fromisoformat(occurrence["start"]).utcoffset() == expected.utcoffset()


def test_the_cli_says_which_zone_data_is_in_use(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["version"])

    assert result.exit_code == 0, result.output
    assert (
        f"time zones: IANA {tzdata.IANA_VERSION} (tzdata {metadata.version('tzdata')})"
        in result.output
    )
