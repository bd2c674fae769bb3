"""Public pages (blueprint ``agenda``): the agenda, event pages, the month grid, the "next one"
link.  Importing the package registers every view on ``bp``."""

from __future__ import annotations

from calendar_service.public import agenda, atom, embed, event_page, month, next_link
from calendar_service.public.blueprint import bp

__all__ = ["agenda", "atom", "bp", "embed", "event_page", "month", "next_link"]
