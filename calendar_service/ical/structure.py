"""A budget for the shape of an imported file, checked before icalendar builds anything of it.

icalendar builds every component of a file before any check of ours can run, and while it parses
it turns each VTIMEZONE whose TZID it does not know into a time zone (dateutil's ``tzical``, a
few milliseconds each), kept for the rest of the process.  So a 4 MB file of 10,000 VTIMEZONEs
took 58 s to refuse, and one of 200,000 components nested in one another 14 s.  This check reads
the file's lines as icalendar will read them (unfolded by icalendar's own ``UFOLD``, each line's
name with spaces and tabs left out, in capitals, and a BEGIN or END line's value taken by its
``Contentline.parts``), finds the few lines that matter with one regular expression, and stops
at the first line over the budget: a refused file costs one pass over its text, in proportion
to its size, and nothing is built.  A file is refused when

* its components nest more than ``MAX_DEPTH`` deep (a calendar's VEVENT's VALARM is three;
  RFC 9073's VLOCATION of a PARTICIPANT of a VEVENT four);
* an END names another component than the BEGIN it closes (icalendar would close the open one
  and treat it as the component the END names);
* it has more than ``MAX_ZONES`` VTIMEZONEs, more than ``MAX_OBSERVANCES`` STANDARD and
  DAYLIGHT observances in them all, or more than ``MAX_ZONE_DATES`` RDATE and EXDATE dates and
  RRULE and EXRULE rules in those observances (dateutil reads each when the zone is made: one
  observance of 200,000 RDATEs took 53 s).  Outlook writes one VTIMEZONE of two observances for
  each zone the events use; our own feeds at most a few hundred observances for a zone whose
  rules changed every year; icalendar's ``add_missing_timezones`` about 140 RDATEs a zone;
* more than ``MAX_OWN_ZONES`` of its VTIMEZONEs have a TZID that names no zone (neither an IANA
  nor a Windows name, such as Outlook's "Customized Time Zone"): each of those is turned into a
  time zone of its own, and reading a time in it walks its rules from their first year (often
  1601), some 50 ms a zone.  A known name costs nothing: the IANA zone is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from icalendar.parser import Contentline
from icalendar.parser.content_line import UFOLD

from calendar_service.ical.zone_names import iana_name

MAX_DEPTH = 10
"""The deepest one component may be nested in others (VCALENDAR itself is 1)."""

MAX_ZONES = 100
"""The most VTIMEZONEs one file may define."""

MAX_OWN_ZONES = 30
"""The most VTIMEZONEs of one file whose TZID names no known zone."""

MAX_OBSERVANCES = 1000
"""The most STANDARD and DAYLIGHT observances the file's VTIMEZONEs may have together."""

MAX_ZONE_DATES = 2000
"""The most RDATE and EXDATE dates and RRULE and EXRULE rules the observances of the file's
VTIMEZONEs may have together."""

_OBSERVANCES = frozenset({"STANDARD", "DAYLIGHT"})
_LISTS = frozenset({"RDATE", "EXDATE"})
_RULES = frozenset({"RRULE", "EXRULE"})
# A line whose name may be one of these, as icalendar reads a name (``Contentline.raw_parts``:
# the text before the first ``:`` or ``;``, stripped, spaces and tabs inside left out, compared
# in capitals): found at C speed; ``_name`` then says exactly which, if any.
_LOOKED_AT = re.compile(
    r"^[^\S\n]*(?:"
    + "|".join(
        "[ \t]*".join(word) for word in ("BEGIN", "END", "TZID", *sorted(_LISTS), *sorted(_RULES))
    )
    + r")[^\S\n]*[:;][^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
# Nearly every BEGIN and END line: read without icalendar's general (and slower) split.
_PLAIN = re.compile(r"(BEGIN|END):([A-Z0-9-]*)", re.IGNORECASE)


class StructureError(ValueError):
    """The file's components are over the budget; the message says which and why."""


def check_structure(text: str) -> None:
    """Raise StructureError at the first line of ``text`` (the file, decoded) that puts it
    over the budget."""
    scan = _Scan()
    for match in _LOOKED_AT.finditer(UFOLD.sub("", text)):
        line = match.group(0).removesuffix("\r")  # icalendar splits lines at \r?\n
        plain = _PLAIN.fullmatch(line)
        name = plain.group(1).upper() if plain else _name(line)
        if name in ("BEGIN", "END"):
            value = plain.group(2) if plain else _value(line)
            if value is None:
                continue  # icalendar reports the line itself
            if name == "BEGIN":
                scan.begin(value.upper())
            else:
                scan.end(value.upper())
        elif name in _LISTS or name in _RULES:
            scan.zone_dates(line.partition(":")[2].count(",") + 1 if name in _LISTS else 1)
        elif name == "TZID":
            scan.zone_name(_value(line))


def _name(line: str) -> str:
    """The line's name as icalendar reads it: its text up to the first ``:`` or ``;``, in
    capitals, spaces and tabs left out."""
    head = line.partition(":")[0].partition(";")[0]
    return head.strip().replace(" ", "").replace("\t", "").upper()


def _value(line: str) -> str | None:
    """The line's value as icalendar reads it; None when it cannot read the line."""
    try:
        content = Contentline(line)  # type: ignore[no-untyped-call]  # icalendar's untyped init
        return content.parts()[2]
    except ValueError:
        return None


@dataclass
class _Scan:
    """The components open at the current line, and what the file's zones hold so far."""

    open_names: list[str] = field(default_factory=list)
    zones: int = 0
    observances: int = 0
    dates: int = 0
    own_zones: int = 0

    def begin(self, name: str) -> None:
        if len(self.open_names) == MAX_DEPTH:
            raise StructureError(
                f"the file's components are nested more than {MAX_DEPTH} deep (BEGIN:"
                f"{name[:40]} inside {' > '.join(self.open_names[:3])} > …)"
            )
        if name == "VTIMEZONE":
            self.zones += 1
            if self.zones > MAX_ZONES:
                raise StructureError(
                    f"the file defines more than {MAX_ZONES} time zones (VTIMEZONE)"
                )
        elif name in _OBSERVANCES and self.open_names[-1:] == ["VTIMEZONE"]:
            self.observances += 1
            if self.observances > MAX_OBSERVANCES:
                raise StructureError(
                    f"the file's time zones have more than {MAX_OBSERVANCES:,} observances "
                    "(STANDARD and DAYLIGHT) together"
                )
        self.open_names.append(name)

    def end(self, name: str) -> None:
        if not self.open_names:
            return  # icalendar says so
        if name != self.open_names[-1]:
            raise StructureError(
                f"the file is damaged: END:{name[:40]} closes BEGIN:{self.open_names[-1][:40]}"
            )
        self.open_names.pop()

    def zone_name(self, tzid: str | None) -> None:
        """A TZID line: in a VTIMEZONE, the zone's name, counted when it names no zone."""
        if tzid is None or self.open_names[-1:] != ["VTIMEZONE"] or iana_name(tzid):
            return
        self.own_zones += 1
        if self.own_zones > MAX_OWN_ZONES:
            raise StructureError(
                f"the file defines more than {MAX_OWN_ZONES} time zones of its own "
                "(VTIMEZONEs whose TZID names no known zone)"
            )

    def zone_dates(self, count: int) -> None:
        """``count`` more dates or rules in the open component, counted in a zone's
        observance."""
        if self.open_names[-2:-1] != ["VTIMEZONE"] or self.open_names[-1] not in _OBSERVANCES:
            return
        self.dates += count
        if self.dates > MAX_ZONE_DATES:
            raise StructureError(
                f"the file's time zones have more than {MAX_ZONE_DATES:,} dates and rules "
                "(RDATE, EXDATE, RRULE) in their observances together"
            )
