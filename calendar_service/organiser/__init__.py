"""Organiser pages (blueprint ``organiser``): sign-in, tokens, the dashboard, the event editor,
admin pages and imports.  Importing the package registers every view on ``bp``."""

from __future__ import annotations

from calendar_service.organiser import (
    account,
    admin,
    dashboard,
    events,
    imports,
    sign_in,
    tokens,
)
from calendar_service.organiser.blueprint import bp

__all__ = ["account", "admin", "bp", "dashboard", "events", "imports", "sign_in", "tokens"]
