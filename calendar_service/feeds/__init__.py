"""Subscribable feeds (blueprint ``feeds``): calendar feeds, single-event downloads, and the poll
answerer in front of Flask.  Importing the package registers every view on ``bp``."""

from __future__ import annotations

from calendar_service.feeds import views
from calendar_service.feeds.blueprint import bp

__all__ = ["bp", "views"]
