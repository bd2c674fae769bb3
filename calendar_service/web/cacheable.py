"""Which views' answers are cached, and what a cached view tells the cache.

A public read answer is a function of the calendar versions it reads, its normalised query, the
code that built it and the time of day; ``web.answer_cache`` keeps the finished bytes of each
in front of Flask.  A view joins it with one decorator under its route::

    @bp.get("/calendars/<slug>/<int:year>/<int:month>")
    @cached_answer(params=("category",))
    def month_view(slug: str, year: int, month: int) -> str: ...

``params`` names the query parameters the answer reads: others are left out of the key, so a
newsletter's ``?utm_source=…`` shares the plain page's entry, and the view never sees them
(``request.args`` holds only these), so no form, link or echo can carry an unkeyed value into
an answer that others are then served.  ``None`` keys by all of them and hides none.  A view
whose answer changes with the clock, not only with the data, says until when it holds
(``answer_expires``).  An answer the same for everyone, signed in or not (a feed), says so::

    @cached_answer(params=("on",), private=lambda: False, vary=None)

Signed-in organisers (and API requests with a token) see drafts: their answers are marked
``private, no-store`` and never enter the cache, and the cache never answers them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Response, make_response, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

import rules

F = TypeVar("F", bound=Callable[..., Any])

# The attribute of a view function that holds its policy (read by ``web.answer_cache``).
POLICY = "cached_answer"
# The WSGI environ key under which a view being built for the cache leaves its ``Mark``.
MARK = "calendar_service.cached_answer"
# Public answers: shared caches and browsers may keep them a minute, then revalidate (a 304).
PUBLIC = "public, max-age=60"
PRIVATE = "private, no-store"


def signed_in() -> bool:
    """Whether an organiser is signed in: they see drafts and their own banner."""
    return bool(current_user.is_authenticated)


def has_token() -> bool:
    """Whether an API request carries a token (which may show drafts, or be refused)."""
    return bool(request.headers.get("Authorization", "").strip())


@dataclass(frozen=True)
class Policy:
    """How one view's answers are cached: the query names they read (None: all), whether a
    request gets a private answer, and the request header answers vary on (None: none)."""

    params: frozenset[str] | None
    private: Callable[[], bool]
    vary: str | None


@dataclass
class Mark:
    """Left in the environ by a view answering publicly: its answer may be stored, until
    ``expires`` (None: until a version it was built from moves on)."""

    expires: datetime | None = field(default=None)


def cached_answer(*, params: Iterable[str] | None = None,
                  private: Callable[[], bool] = signed_in,
                  vary: str | None = "Cookie") -> Callable[[F], F]:
    """Put a view's public answers in the answer cache (see the module's docstring).

    ``private`` says whether this request gets a private, uncached answer (default: a
    signed-in organiser does); ``vary`` is the request header that decides it, for shared
    caches (None for an answer that is the same for everyone, such as a feed)."""
    policy = Policy(None if params is None else frozenset(params), private, vary)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def answer(*args: Any, **kwargs: Any) -> Response:
            if policy.params is not None:
                only_keyed_args(policy.params)
            if policy.private():
                response = make_response(view(*args, **kwargs))
                response.headers["Cache-Control"] = PRIVATE
            else:
                request.environ[MARK] = Mark()
                response = make_response(view(*args, **kwargs))
                response.headers.setdefault("Cache-Control", PUBLIC)
            if policy.vary is not None:
                response.vary.add(policy.vary)
            return response

        setattr(answer, POLICY, policy)
        return answer  # type: ignore[return-value]

    return decorate


def only_keyed_args(names: frozenset[str]) -> None:
    """Leave in ``request.args`` only the parameters named (in their order): what the answer
    is keyed by is then all it can read, signed in or not."""
    args = request.args
    if any(name not in names for name in args):
        request.args = ImmutableMultiDict(
            [(name, value) for name, value in args.items(multi=True) if name in names])


def answer_expires(when: datetime) -> None:
    """The answer being built holds until ``when`` (aware), or until an earlier limit."""
    mark: Mark | None = request.environ.get(MARK)
    if mark is not None and (mark.expires is None or when < mark.expires):
        mark.expires = when


def next_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    """The next local midnight after ``now`` in the zone, in UTC: when "today" moves on."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return rules.to_utc(tomorrow, tz.key)
