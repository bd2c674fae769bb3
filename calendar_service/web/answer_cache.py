"""Finished public answers (pages and API reads), kept per process and served in front of Flask.

The feeds' poll answerer (``feeds.polls``) showed that Flask's request machinery costs more than
a warm answer; this layer does for every view marked ``cached_answer`` (``web.cacheable``) what
it does for feeds, and for 200s as well as 304s.  An answer is keyed by:

* every calendar's (id, version), read on every request from the database (one small query,
  ``VersionReader.read_all``), so a change made through any worker on any host is served by
  every other on its very next request, as feeds are;
* the route and its arguments, and the query string normalised by the view's policy
  (parameters it does not read are dropped; the rest keep their order within a name and are
  sorted by name, as the answer reads them);
* the base URL the links are written with, and the version of the code and templates.

Answers that change with the clock say until when they hold (``cacheable.answer_expires``: the
agenda and month until the next local midnight, an event page until its next listed occurrence
ends too); an expired one is built again.  The ETag is a hash of the answer's headers and body
(or the view's own, which the API's event keeps for If-Match), so every worker building the same
answer gives the same strong ETag, and one that changed at midnight gets a new one.  Because the
ETag is the answer's own, a worker that does not hold the answer yet builds it once before it
can say 304 (an ETag from the key alone would claim an event page unchanged after its listed
occurrence ended).  A HEAD is answered from the GET's answer.

Each key is built once per process however many threads miss it (the cache's single flight);
the cache is bounded by bytes (``ANSWER_CACHE_BYTES``).  A 304 carries the 200's headers (CSP,
Cache-Control, ETag, Vary, Link, …) less its Content-Type and Content-Length (RFC 9110
§15.4.5).

Nothing private is served from the cache or stored in it: a request with an Authorization
header, a remember-me cookie or a session that names an organiser goes to Flask untouched, and
only an answer the view marked public (``Mark``), a 200 that sets no cookie and varies on no
request header but Cookie and Authorization, is stored.  Every
other request (other routes, methods, an untrusted host, a database error) goes to Flask too.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from itsdangerous import BadSignature
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.http import parse_cookie, parse_etags
from werkzeug.wsgi import get_host

from calendar_service.app_caches import StoredAnswer, app_caches
from calendar_service.clock import utcnow
from calendar_service.store.versions import VersionReader, version_reader
from calendar_service.web import links
from calendar_service.web.cacheable import MARK, POLICY, Mark, Policy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

# Headers a 304 leaves out: they describe the body it does not carry.
_BODY_HEADERS = frozenset({"content-type", "content-length"})
# Headers left out of the ETag's hash: they name the body's size or the moment, not its content.
_UNHASHED = frozenset({"content-length", "date", "etag"})
# Request headers an answer may vary on and still be shared: those that choose a private answer,
# which this layer never serves.  An answer that varies on any other (a language, an encoding)
# is not in the key, so it is not stored.
_SHARED_VARY = frozenset({"cookie", "authorization"})
# The packages whose files make the code version.
_SOURCES = ("calendar_service", "rules")


@functools.cache
def code_version() -> str:
    """A hash of the service's code, templates and static files: part of every key, so a
    deploy never serves (or answers 304 for) what the previous code built."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for package in _SOURCES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".css", ".js", ".svg"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def query_key(query_string: str, names: frozenset[str] | None) -> tuple[str, ...]:
    """The query's parts as the answer reads them: those named in ``names`` (all when None),
    sorted by their decoded name, keeping the order of the values of one name."""
    parts: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name = unquote_plus(part.partition("=")[0], errors="replace")
        if names is None or name in names:
            parts.append((name, part))
    parts.sort(key=lambda pair: pair[0])
    return tuple(part for _, part in parts)


def answer_etag(status: str, headers: Iterable[tuple[str, str]], body: bytes) -> str:
    """A strong ETag (without quotes) from what the answer says."""
    digest = hashlib.sha256(status.encode())
    for name, value in sorted(headers):
        if name.lower() not in _UNHASHED:
            digest.update(f"{name.lower()}:{value}\n".encode())
    digest.update(body)
    return "a-" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class Captured:
    """An answer as Flask gave it."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    mark: Mark | None

    def storable(self) -> StoredAnswer | None:
        """The answer to store, or None unless it is a public 200 that sets no cookie and
        varies on nothing the key leaves out."""
        if self.mark is None or not self.status.startswith("200 "):
            return None
        for name, value in self.headers:
            name = name.lower()
            if name == "set-cookie" or (name == "cache-control" and (
                    "private" in value or "no-store" in value)):
                return None
            if name == "vary" and any(part.strip().lower() not in _SHARED_VARY
                                      for part in value.split(",")):
                return None
        headers = list(self.headers)
        own = next((value for name, value in headers if name.lower() == "etag"), None)
        if own is None:
            own = f'"{answer_etag(self.status, headers, self.body)}"'
            headers.append(("ETag", own))
        return StoredAnswer(tuple(headers), self.body, own.removeprefix("W/").strip('"'),
                            self.mark.expires)


# Built for one request and never stored: the builder answers with what it captured.
_UNSTORED = StoredAnswer((), b"", "", None)


class AnswerCache:
    """WSGI middleware: cached answers of the views marked ``cached_answer``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._reader: VersionReader | None = None
        self._code = code_version()  # read once, before the first request

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        route = self._route(environ) if method in ("GET", "HEAD") else None
        if route is None or self._private(environ):
            return self.wsgi_app(environ, start_response)
        key = self._key(environ, *route)
        if key is None:
            return self.wsgi_app(environ, start_response)
        cache = app_caches(self.app).answers
        now = utcnow()

        def fresh(answer: StoredAnswer) -> bool:
            return answer.fresh(now)

        answer = cache.get(key, fresh)
        if answer is None:
            captured: list[Captured] = []

            def build() -> StoredAnswer:
                captured.append(self._capture(environ))
                return captured[0].storable() or _UNSTORED

            answer = cache.get_or_build(key, build, fresh=fresh,
                                        keep=lambda built: built is not _UNSTORED)
            if answer is _UNSTORED:
                got = captured[0]
                start_response(got.status, got.headers)
                return [] if method == "HEAD" else [got.body]
        return self._respond(answer, environ, start_response)

    # The answer ----------------------------------------------------------------------------

    @staticmethod
    def _respond(answer: StoredAnswer, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        """A stored answer, or a 304 with its headers when the client holds it."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None and parse_etags(if_none_match).contains_weak(answer.etag):
            start_response("304 NOT MODIFIED", not_modified_headers(answer))
            return []
        start_response("200 OK", list(answer.headers))
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [answer.body]

    def _capture(self, environ: WSGIEnvironment) -> Captured:
        """Flask's unconditional GET answer to this request (a HEAD is answered from it, and
        the 304 is decided here from the stored answer, so every path agrees)."""
        built: dict[str, Any] = {
            name: value for name, value in environ.items()
            if name not in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", MARK)
        }
        built["REQUEST_METHOD"] = "GET"
        started: list[Any] = []
        chunks: list[bytes] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None
                  ) -> Callable[[bytes], object]:
            started[:] = [status, list(headers)]
            return chunks.append

        result = self.wsgi_app(built, start)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return Captured(started[0], started[1], b"".join(chunks), built.get(MARK))

    # The key ---------------------------------------------------------------------------------

    def _private(self, environ: WSGIEnvironment) -> bool:
        """Whether the request may be an organiser's: a token, a remember-me cookie, or a
        session that names one (a session Flask could not read is an empty one, as here)."""
        if environ.get("HTTP_AUTHORIZATION", "").strip():
            return True
        if not environ.get("HTTP_COOKIE"):
            return False
        cookies = parse_cookie(environ)
        if self.app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
            return True
        value = cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        if not value:
            return False
        serializer = self.app.session_interface.get_signing_serializer(  # type: ignore[attr-defined]
            self.app)
        if serializer is None:
            return True
        try:
            session = serializer.loads(
                value, max_age=int(self.app.permanent_session_lifetime.total_seconds()))
        except BadSignature:
            return False
        return not isinstance(session, dict) or "_user_id" in session

    def _route(self, environ: WSGIEnvironment
               ) -> tuple[str, Mapping[str, Any], Policy] | None:
        """The endpoint, its arguments and its policy, when the route is a cached one."""
        try:
            adapter = self.app.url_map.bind_to_environ(
                environ, server_name=self.app.config.get("SERVER_NAME"))
            endpoint, arguments = adapter.match()
        except HTTPException:  # not found, a redirect or a wrong method: Flask's to answer
            return None
        policy: Policy | None = getattr(self.app.view_functions.get(endpoint), POLICY, None)
        return None if policy is None else (endpoint, arguments, policy)

    def _key(self, environ: WSGIEnvironment, endpoint: str, arguments: Mapping[str, Any],
             policy: Policy) -> str | None:
        """The answer's key, or None when this layer does not answer the request."""
        try:
            host = get_host(environ, self.app.config["TRUSTED_HOSTS"])  # before any query
            versions = self._versions().read_all()
        except (SecurityError, SQLAlchemyError):
            return None  # Flask answers, with its error handling
        base_url = links.origin(self.app.config.get("CALENDAR_BASE_URL"),
                                environ["wsgi.url_scheme"], host)
        parts = (self._code, endpoint, sorted(arguments.items()),
                 query_key(environ.get("QUERY_STRING", ""), policy.params),
                 base_url, environ.get("SCRIPT_NAME", ""), versions)
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def _versions(self) -> VersionReader:
        if self._reader is None:
            with self.app.app_context():
                self._reader = version_reader()
        return self._reader


def not_modified_headers(answer: StoredAnswer) -> list[tuple[str, str]]:
    """A 304's headers: the 200's, less those that describe its body."""
    return [(name, value) for name, value in answer.headers
            if name.lower() not in _BODY_HEADERS]


def register_answer_cache(app: Flask) -> None:
    """Put the answer cache in front of the app (behind ProxyFix, registered after it)."""
    app.wsgi_app = AnswerCache(app, app.wsgi_app)  # type: ignore[method-assign]
