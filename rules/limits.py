"""The documented limits of the engine: what one call may cost or return.

Every expansion is bounded before any work is done: the walk the window needs is costed in
"steps" (about a microsecond each: one recurrence period examined by dateutil, weighted by the
days it inspects, or one instance generated) and refused with ``ExpansionLimitError`` when the
estimate is over budget.  Rules that could never produce a date are refused when the series is
created, so no walk ever runs on without finding one (see ``rules.recurrence``).
"""

from __future__ import annotations

from datetime import timedelta

DEFAULT_LIMIT = 1000
"""Occurrences one ``expand`` call returns by default; more are cut and ``truncated`` is set."""

MAX_LIMIT = 10_000
"""The largest ``limit`` a caller may ask for."""

MAX_WINDOW_SPAN = timedelta(days=366 * 100)
"""The longest window one expansion accepts (100 years)."""

MAX_WALK_STEPS = 250_000
"""Estimated steps (~1 µs each) one window walk may cost; over it → ``ExpansionLimitError``."""

MAX_OVERLAP = 1000
"""The most occurrences of one series that may be in progress at once, estimated from the rule
(FREQ, INTERVAL and the BY parts that put several instances in one period) against the
duration: a rule that repeats every minute may last up to 1000 minutes.  Checked when an event
is written (``rules.check_overlap``), not when a stored series is read: a walk for a window
begins one duration before it, so occurrences that outlast their rule's interval by a large
factor would make every window costly (reads stay bounded by ``MAX_WALK_STEPS`` either way)."""

MAX_COUNT_STEPS = 300_000
"""Steps spent once (then cached) finding where a COUNT rule ends; past it the end is unknown."""

MAX_UPCOMING = 100
"""The most occurrences ``upcoming`` returns."""

UPCOMING_HORIZON = timedelta(days=366 * 100)
"""``upcoming`` looks no further ahead than this (100 years)."""

MIN_YEAR = 1800
MAX_YEAR = 9000
"""Starts, ends, RDATEs, EXDATEs and UNTIL must fall in these years (inclusive)."""

MAX_INTERVAL = 100_000
"""The largest INTERVAL accepted."""

MAX_COUNT = 2**31 - 1
"""The largest COUNT accepted (larger ones are meaningless before year 9999)."""

MAX_EXCEPTIONS = 10_000
"""The most RDATEs, EXDATEs or overrides one series may have (each)."""
