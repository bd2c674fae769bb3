"""Organiser pages (blueprint ``organiser``): sign-in, one's account, tokens, the dashboard, the
event editor, calendar members, admin pages and imports.  Importing the package registers every
view on ``bp``."""

from __future__ import annotations

from calendar_service.organiser import (
    account,
    admin,
    categories,
    dashboard,
    dates,
    events,
    imports,
    members,
    sign_in,
    tokens,
)
from calendar_service.organiser.blueprint import bp

__all__ = [
    "account",
    "admin",
    "bp",
    "categories",
    "dashboard",
    "dates",
    "events",
    "imports",
    "members",
    "sign_in",
    "tokens",
]
