"""Answering a subscriber's poll of an unchanged feed before Flask's request machinery runs.

Most requests a feed service gets are calendar clients revalidating a feed they already hold
(docs/peers.md B6): thousands of subscribers polling every few hours, nearly always to hear 304.
The answer depends only on the calendar's version row and the request's validators, so this WSGI
layer in front of the Flask app gives it for the plain feed URL without building a request context,
matching a route, running hooks or saving a session: that machinery costs more than the database
read itself.  The row is still read on every request, so a change made through any worker on any
host is seen on the very next poll.

Everything else goes to Flask untouched and is answered exactly as before: other routes and
methods, filtered feeds (a query string), unconditional requests, a changed feed, an unknown
calendar, a host not in TRUSTED_HOSTS, and any database error.  The ETag, the 304 decision and
its headers come from the same functions the feeds blueprint uses, so both paths agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_accept_header
from werkzeug.wsgi import get_host

from calendar_service.clock import utcnow
from calendar_service.feeds import validators as feeds
from calendar_service.services.feeds import feed_validators
from calendar_service.store.identifiers import SLUG_PATTERN
from calendar_service.web import links

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

    from calendar_service.store.versions import VersionReader

# The feed route's path for a slug as calendars are named; any other spelling is left to Flask's
# router, which answers it as it always has.
_FEED_PATH = re.compile("/calendars/(" + SLUG_PATTERN.removeprefix("^").removesuffix("$")
                        + r")\.ics")


class FeedPolls:
    """WSGI middleware: 304 for conditional GET/HEAD of /calendars/<slug>.ics when it holds."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._reader: VersionReader | None = None

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        headers = self._not_modified(environ)
        if headers is None:
            return self.wsgi_app(environ, start_response)
        start_response("304 NOT MODIFIED", headers)
        return []

    def _not_modified(self, environ: WSGIEnvironment) -> list[tuple[str, str]] | None:
        """The 304's headers when this poll can be answered here with one; else None."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if if_none_match is None and if_modified_since is None:
            return None
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return None
        match = _FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        try:
            host = get_host(environ, self.app.config["TRUSTED_HOSTS"])  # before any query
            version_row = self._versions().read(match.group(1))
        except (SecurityError, SQLAlchemyError):
            return None  # Flask answers, with its error handling
        if version_row is None:
            return None
        now = utcnow()
        base_url = links.origin(self.app.config.get("CALENDAR_BASE_URL"),
                                environ["wsgi.url_scheme"], host)
        validators = feed_validators(version_row, (), now, base_url)
        held = feeds.held_etag(
            validators, now, if_none_match, if_modified_since,
            lambda: parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"))["gzip"] > 0,
        )
        return None if held is None else feeds.not_modified_headers(held)

    def _versions(self) -> VersionReader:
        if self._reader is None:
            with self.app.app_context():
                self._reader = feeds.version_reader()
        return self._reader


def register_feed_polls(app: Flask) -> None:
    """Put the poll answerer in front of the app (and behind ProxyFix, registered after it)."""
    app.wsgi_app = FeedPolls(app, app.wsgi_app)  # type: ignore[method-assign]
