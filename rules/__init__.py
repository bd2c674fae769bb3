"""The recurrence engine: RFC 5545 series → occurrences, in real time zones, at bounded cost.

Pure Python on python-dateutil and zoneinfo; imports nothing of the web app.  See
``rules.model`` for the values, ``rules.limits`` for what one call may cost.  Zones come from
the pinned ``tzdata`` package, never the system's files (``rules.zone_data``).
"""

from rules import zone_data  # first: before any zone is loaded  # noqa: F401

# isort: split

from rules.choices import RuleChoice, from_rrule, rule_for, to_rrule
from rules.describe import describe, describe_rule
from rules.endings import rule_continuing_from, rule_ending_before
from rules.errors import (
    ExpansionLimitError,
    RRuleSyntaxError,
    RRuleValueError,
    RulesError,
    SeriesError,
)
from rules.expand import (
    ExpansionCost,
    expand,
    expansion_cost,
    generates,
    occurrence_at,
    orphan_overrides,
    series_bounds,
    upcoming,
)
from rules.limits import DEFAULT_LIMIT
from rules.model import Expansion, Moment, Occurrence, Override, Series, Window
from rules.phrasebook import ENGLISH, Phrasebook, phrasebook_for
from rules.recurrence import normalise_rrule
from rules.rule_text import Rule, format_rule
from rules.rule_text import parse as parse_rule
from rules.timezones import clock_change_at, is_valid_zone, local_from_aware, to_utc
from rules.validate import at_once, check_overlap

__all__ = [
    "DEFAULT_LIMIT",
    "ENGLISH",
    "ExpansionLimitError",
    "Expansion",
    "ExpansionCost",
    "Moment",
    "Occurrence",
    "Override",
    "Phrasebook",
    "RRuleSyntaxError",
    "RRuleValueError",
    "Rule",
    "RuleChoice",
    "RulesError",
    "Series",
    "SeriesError",
    "Window",
    "at_once",
    "check_overlap",
    "clock_change_at",
    "describe",
    "describe_rule",
    "expand",
    "expansion_cost",
    "format_rule",
    "from_rrule",
    "generates",
    "is_valid_zone",
    "local_from_aware",
    "normalise_rrule",
    "occurrence_at",
    "orphan_overrides",
    "parse_rule",
    "phrasebook_for",
    "rule_continuing_from",
    "rule_ending_before",
    "rule_for",
    "series_bounds",
    "to_rrule",
    "to_utc",
    "upcoming",
]
