"""Errors raised by the recurrence engine.

Every error is a ``ValueError`` so callers that only care about "bad input" can catch one type;
the subclasses say which kind of input was wrong so the web layer can map them to fields.
"""

from __future__ import annotations


class RulesError(ValueError):
    """Base class: the input describes no series that can be expanded.

    ``field`` names the input the message is about (``"rrule"``, ``"start"``, ``"end"``,
    ``"rdates"``, ``"exdates"``, ``"timezone"``, ``"overrides"``) so a form or an API can put the
    message next to it; ``part`` narrows an RRULE message to the rule part (``"UNTIL"``).
    """

    def __init__(self, message: str, *, field: str = "rrule", part: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.part = part


class RRuleSyntaxError(RulesError):
    """The RRULE text is malformed or names an unknown part or value (RFC 5545 §3.3.10)."""


class RRuleValueError(RulesError):
    """The RRULE parses but is invalid for its start (UNTIL type, COUNT with UNTIL, …)."""


class SeriesError(RulesError):
    """A series' own fields are inconsistent (end before start, mixed date/datetime, bad zone)."""


class ExpansionLimitError(RulesError):
    """Expanding the series over the window would cost more than the documented limit."""
