"""A calendar's compact agenda for another site's ``<iframe>`` (``/embed``): no site header or
footer, links that open in the top window (``<base target="_top">``), colours that follow the
visitor's light or dark preference, and the one page any site may frame (web/headers.py)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, render_template, request, url_for

from calendar_service.clock import utcnow
from calendar_service.public.blueprint import bp
from calendar_service.public.display import agenda_days, shown
from calendar_service.public.params import MAX_DAYS
from calendar_service.public.viewer_zone import zone_of
from calendar_service.services import filters, listings
from calendar_service.store.operations import find_calendar
from calendar_service.web.http_cache import answer_expires, answer_reads, next_midnight
from calendar_service.web.links import absolute
from calendar_service.web.query import category_args, slug_values

EMBED_DAYS = 28
# A box on someone else's page: a few dozen entries, then a link to the full agenda.
EMBED_MAX = 40


def embed_days(raw: str) -> int:
    """``days``: 1 to MAX_DAYS, EMBED_DAYS when absent; anything else is a 400."""
    if not raw.strip():
        return EMBED_DAYS
    if raw.strip().isdigit() and 1 <= int(raw) <= MAX_DAYS:
        return int(raw)
    abort(400, description=f"days must be a number of days from 1 to {MAX_DAYS}.")


@bp.get("/embed")
def embed() -> str:
    """The compact agenda of ``calendar`` (``category`` repeatable, ``days``), for an iframe."""
    slug = request.args.get("calendar", "").strip()
    if not slug:
        abort(400, description="Name the calendar to embed: /embed?calendar=SLUG.")
    calendar = find_calendar(slug[:100])
    if calendar is None:
        abort(404, description="There is no calendar with that name.")
    answer_reads(calendar.id)
    resolution = filters.resolve(slug_values(request.args), calendar.id)
    if resolution.unknown:
        abort(404, description="This calendar has no category of that name.")
    chosen = resolution.categories
    days = embed_days(request.args.get("days", ""))
    slugs = [category.slug for category in chosen]
    tzid, tz = zone_of(calendar)
    now = utcnow()
    today = now.astimezone(tz).date()
    # What has not ended yet (from now, not from this morning): a box of a few dozen entries is
    # never filled by ones that ended earlier today, however many there were.
    coming, complete = listings.coming(
        calendar, slugs, now, today + timedelta(days=days), tzid, EMBED_MAX
    )
    items = [shown(item, tz) for item in coming]
    # The list moves on when its first entry ends, and its days at midnight.
    answer_expires(min([next_midnight(now, tz), *(item.occurrence.end_utc for item in items)]))
    extra = category_args(slugs)
    return render_template(
        "embed.html",
        calendar=calendar,
        chosen=chosen,
        tzid=tzid,
        today=today,
        days=agenda_days(items, today, today),
        more=not complete,
        full_url=absolute(url_for("agenda.calendar_page", slug=calendar.slug, **extra)),
        feed_url=absolute(url_for("agenda.calendar_page", slug=calendar.slug, **extra))
        + "#subscribe",
    )
