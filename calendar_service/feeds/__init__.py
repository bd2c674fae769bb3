"""Subscribable feeds (blueprint ``feeds``): calendar feeds and single-event downloads.  Importing
the package registers every view on ``bp``."""

from __future__ import annotations

from calendar_service.feeds import views
from calendar_service.feeds.blueprint import bp

__all__ = ["bp", "views"]
