"""A calendar's month grid."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, render_template, request, url_for

from calendar_service.clock import utcnow
from calendar_service.public.blueprint import bp
from calendar_service.public.display import grid_bounds, month_grid, shown
from calendar_service.public.viewer_zone import zone_of
from calendar_service.services import filters, listings
from calendar_service.store.operations import find_calendar
from calendar_service.web.http_cache import answer_expires, answer_reads, next_midnight
from calendar_service.web.query import EARLIEST, LATEST, category_args, slug_values

# The most occurrences one day's cell lists before it links to that day's agenda for the rest
# (the grid places at most ``listings.MONTH_MAX``).
CELL_MAX = 30


def _month_shift(year: int, month: int, step: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


@bp.get("/calendars/<slug>/<int:year>/<int:month>")
def month_view(slug: str, year: int, month: int) -> str:
    """A month as a grid of weeks, Monday first; ``category`` (repeatable) narrows it."""
    calendar = find_calendar(slug)
    if calendar is None or not 1 <= month <= 12 or not EARLIEST.year <= year <= LATEST.year:
        abort(404, description="There is no such calendar month.")
    answer_reads(calendar.id)
    # Unknown slugs are kept, matching nothing; a merged one's shows the category that took
    # its events.
    categories = filters.resolve(slug_values(request.args), calendar.id).slugs
    tzid, tz = zone_of(calendar)
    now = utcnow()
    today = now.astimezone(tz).date()
    answer_expires(next_midnight(now, tz))  # today's cell and "this month" move on
    first, end = grid_bounds(year, month)
    listing, problem = listings.month(calendar, first, end, tzid, categories)
    items = [shown(item, tz) for item in listing.items]
    weeks = month_grid(year, month, items)
    shown_until = None if listing.complete or not items else max(items[-1].first_day, first)
    before, after = _month_shift(year, month, -1), _month_shift(year, month, 1)
    extra = category_args(categories)
    return render_template(
        "month.html",
        calendar=calendar,
        tzid=tzid,
        today=today,
        weeks=weeks,
        month_start=date(year, month, 1),
        problem=problem,
        categories=categories,
        previous=url_for("agenda.month_view", slug=slug, year=before[0], month=before[1], **extra)
        if before[0] >= EARLIEST.year
        else None,
        following=url_for("agenda.month_view", slug=slug, year=after[0], month=after[1], **extra)
        if after[0] <= LATEST.year
        else None,
        this_month=url_for(
            "agenda.month_view", slug=slug, year=today.year, month=today.month, **extra
        ),
        agenda=url_for("agenda.index", calendar=slug, **extra),
        shown_until=shown_until,
        month_max=listings.MONTH_MAX,
        cell_max=CELL_MAX,
        rest_url=None if shown_until is None else _agenda_from(slug, shown_until, extra),
        day_url=lambda day: _agenda_from(slug, day, {**extra, "days": 1}),
    )


def _agenda_from(slug: str, day: date, extra: dict[str, Any]) -> str:
    args: dict[str, Any] = {"calendar": slug, "from": day.isoformat(), **extra}
    return url_for("agenda.index", **args)
