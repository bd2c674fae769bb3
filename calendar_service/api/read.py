"""Public read routes of the API: calendars, events, occurrences, the OpenAPI description."""

from __future__ import annotations
