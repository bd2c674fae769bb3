"""Template filters every page may use; the app factory registers them."""

from __future__ import annotations

from datetime import date

from flask import Flask

from calendar_service.web.richtext import linkify, paragraphs, safe_url


def long_date(day: date, *, year: bool = False) -> str:
    """ "Wednesday 27 January" (with the year when asked)."""
    text = f"{day:%A} {day.day} {day:%B}"
    return f"{text} {day.year}" if year else text


def short_date(day: date, *, month: bool = True, year: bool = False) -> str:
    """ "Wed 27 January", "Wed 27" (month=False), "Wed 27 January 2027" (year=True)."""
    text = f"{day:%a} {day.day}"
    if month or year:
        text += f" {day:%B}"
    return f"{text} {day.year}" if year else text


def long_day(day: date, year: bool = True) -> str:
    """ "Wednesday 27 January 2027"."""
    return long_date(day, year=year)


def short_day(day: date) -> str:
    """ "Wed 27 January 2027"."""
    return short_date(day, year=True)


def register_filters(app: Flask) -> None:
    app.add_template_filter(linkify, "linkify")
    app.add_template_filter(paragraphs, "paragraphs")
    app.add_template_filter(safe_url, "safe_url")
    app.add_template_filter(long_day, "long_day")
    app.add_template_filter(short_day, "short_day")
