"""The HTML another site pastes to show a calendar's agenda (``/embed``) in an iframe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for
from markupsafe import escape

from calendar_service.store.models import Calendar, Category
from calendar_service.web.links import absolute


def embed_url(calendar: Calendar, categories: Sequence[Category] = ()) -> str:
    args: dict[str, Any] = {"calendar": calendar.slug}
    if categories:
        args["category"] = [category.slug for category in categories]
    return absolute(url_for("agenda.embed", **args))


def embed_snippet(calendar: Calendar, categories: Sequence[Category] = ()) -> str:
    """An ``<iframe>`` element as text, its attribute values escaped (a calendar's name may
    hold quotes); the page that shows it escapes the whole text once more."""
    title = calendar.name + (": " + " or ".join(c.name for c in categories) if categories else "")
    return (
        f'<iframe src="{escape(embed_url(calendar, categories))}" title="{escape(title)}" '
        'width="100%" height="600" style="border:0" loading="lazy"></iframe>'
    )
