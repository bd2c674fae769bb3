"""HTTP caching: the one place that decides, per endpoint (``web.cache_policy``), whether an answer
is private, what it varies on, how long it holds, and whether a client that holds it hears 304.

It runs on the route Flask matched once, around the view's dispatch (``register_http_cache``),
for GET and HEAD of the endpoints in the policy table:

* The view sees only the query parameters its row names (``request.args`` holds no others).
* A request that may be an organiser's (a token, a remember-me cookie, a session naming one)
  gets a private answer (``private, no-store``) when it is one, and is never served from the
  cache nor stored in it.
* Stored answers (pages and API reads) are kept finished, per process, in the ``answers`` cache,
  keyed by the endpoint and its arguments, the normalised query (the row's parameters, sorted by
  name), the base URL and the code version, and valid while the versions of the calendars they
  read hold (every calendar's, or those the view named with ``answer_reads``): the versions are
  read on every request (one small query), so a change made through any worker on any host is
  served by every other on its very next request, and a change to one calendar leaves the
  answers of the others in place.  An answer that changes with the clock says until when it
  holds (``answer_expires``).  The ETag is a hash of the answer's headers and body (or the
  view's own), so every worker building the same answer gives the same strong ETag; a worker
  that does not hold it yet builds it once before it can say 304.  Each key is built by one
  thread while the others wait for it; the cache is bounded by bytes (``ANSWER_CACHE_BYTES``).
  A 304 carries the 200's headers less its Content-Type and Content-Length (RFC 9110 §15.4.5).
* Feeds know their validators before building anything (the calendar's version row):
  ``conditional`` answers 304 from them alone, else builds the body (gzipped when asked for).
  Most feed requests are subscribers' polls of an unchanged feed, and Flask's request machinery
  (an app context, the session, the hooks, a response object) costs more than the database read
  itself: a poll of an endpoint whose blueprint declares its validators (``answers_polls``) is
  answered 304 by a thin WSGI layer right after Flask's own route match, which it makes once
  and hands on to Flask with the request context when it cannot answer (a query string, an
  unknown calendar, a changed feed, a database error).

Only a 200 the view answered publicly, that sets no cookie and varies on no request header but
Cookie and Authorization, is stored.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

from flask import Flask, Request, Response, current_app, make_response, request, session
from flask.ctx import RequestContext
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.http import http_date, parse_date, parse_etags

import rules
from calendar_service.app_caches import StoredAnswer, app_caches
from calendar_service.clock import utcnow
from calendar_service.store.db import db
from calendar_service.store.versions import VersionReader
from calendar_service.web import links
from calendar_service.web.cache_policy import POLICIES, PRIVATE, Calendars, Policy, Private

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Where the request's caching state is kept while it is answered.
STATE = "calendar_service.http_cache"
# Headers a 304 leaves out: they describe the body it does not carry.
_BODY_HEADERS = frozenset({"content-type", "content-length"})
# Headers left out of the ETag's hash: they name the body's size or the moment, not its content.
_UNHASHED = frozenset({"content-length", "date", "etag"})
# Request headers a stored answer may vary on: those that choose a private answer, which the
# cache never serves.  An answer that varies on any other (a language) is not stored.
_SHARED_VARY = frozenset({"cookie", "authorization"})
# The packages whose files make the code version.
_SOURCES = ("calendar_service", "rules")
# How long a thread waits for another building the same answer before building its own.
_FLIGHT_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Validators:
    """What a conditional request is answered from, known before the body is built."""

    etag: str  # without quotes; a gzip representation adds "-gzip"
    last_modified: datetime | None = None

    def http_date(self, now: datetime) -> str:
        """Last-Modified as sent: the stamp, or the response's own time while that stamp is
        still ahead of the clock (RFC 9110 §8.8.2.1; ``Calendar.touch`` puts each version a
        second after the last, so a burst of changes runs a little ahead)."""
        assert self.last_modified is not None
        return http_date(min(self.last_modified, now).replace(microsecond=0))


def held_etag(validators: Validators, now: datetime, *, gzip_variant: bool) -> str | None:
    """The one 304 rule (RFC 9110 §13.1) for this request: see ``held``."""
    return held(
        validators,
        now,
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
        _wants_gzip if gzip_variant else None,
    )


def held(
    validators: Validators,
    now: datetime,
    if_none_match: str | None,
    if_modified_since: str | None,
    wants_gzip: Callable[[], bool] | None,
) -> str | None:
    """If-None-Match decides when present; else a valid If-Modified-Since, when the answer
    has a Last-Modified.  Takes the header values, so the poll answerer uses it too.

    Returns the ETag of the representation the client holds, to answer 304 with, or None.
    ``wants_gzip`` (None when the answer has no gzip representation, under the ETag with
    "-gzip") says whether the client takes gzip.
    """
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        variants = (
            (validators.etag,)
            if wants_gzip is None
            else (validators.etag, validators.etag + "-gzip")
        )
        return next((tag for tag in variants if tags.contains_weak(tag)), None)
    if validators.last_modified is None:
        return None
    since = parse_date(if_modified_since)
    if since is None or since > now:  # unparseable or in the future: ignored
        return None
    if validators.last_modified.replace(microsecond=0) > since:
        return None
    return validators.etag + ("-gzip" if wants_gzip is not None and wants_gzip() else "")


def _wants_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def version_reader() -> VersionReader:
    """The app's reader of calendar version rows (one per engine, shared by every thread, by
    the feeds and by the stored answers), sized by the app's threads and pool timeout."""
    reader: VersionReader | None = current_app.extensions.get("calendar_versions")
    if reader is None or reader.engine is not db.engine:
        reader = current_app.extensions["calendar_versions"] = VersionReader(
            db.engine,
            max_connections=int(current_app.config["CALENDAR_THREADS"]),
            timeout=float(current_app.config["CALENDAR_POOL_TIMEOUT"]),
        )
    return reader


# Bodies known by their validators (feeds) ------------------------------------------------------


def conditional(
    validators: Validators, now: datetime, build: Callable[[], bytes], slot: str
) -> Response:
    """A 304 when the client holds the answer (nothing built), else the body ``build`` makes,
    gzipped when asked for (and kept gzipped in the ``feeds`` cache under ``slot``), with its
    ETag and Last-Modified.  The policy's Cache-Control and Vary are added on the way out."""
    policy = _state().policy
    gzip_variant = "Accept-Encoding" in policy.vary
    held = held_etag(validators, now, gzip_variant=gzip_variant)
    if held is not None:
        return Response(status=304, headers=[("ETag", f'"{held}"')])
    gzipped = gzip_variant and _wants_gzip()
    etag = validators.etag + ("-gzip" if gzipped else "")
    data = build()
    if gzipped:
        data = app_caches().feeds.get_or_build(
            etag, lambda: gzip.compress(data, mtime=0), slot=slot + "\x1fgzip"
        )
    response = Response(data)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    if validators.last_modified is not None:
        response.headers["Last-Modified"] = validators.http_date(now)
    return response


# What views tell the cache ----------------------------------------------------------------------


@dataclass
class _State:
    """One request's caching: its policy, and for an answer being built to be stored, its key,
    the calendar versions read before it, until when it holds and which calendars it read."""

    policy: Policy
    key: str | None = None
    versions: tuple[tuple[int, int], ...] = ()
    expires: datetime | None = None
    reads: set[int] | None = field(default_factory=set)  # None: every calendar
    answered: bool = False


def _state() -> _State:
    state: _State = request.environ[STATE]
    return state


def answer_expires(when: datetime) -> None:
    """The answer being built holds until ``when`` (aware), or until an earlier limit."""
    state: _State | None = request.environ.get(STATE)
    if (
        state is not None
        and state.key is not None
        and (state.expires is None or when < state.expires)
    ):
        state.expires = when


def answer_reads(calendar_id: int | None) -> None:
    """The answer being built reads this calendar (None: every calendar): a policy keyed by
    the calendars its view names is then valid while their versions hold."""
    state: _State | None = request.environ.get(STATE)
    if state is None or state.reads is None:
        return
    if calendar_id is None:
        state.reads = None
    else:
        state.reads.add(calendar_id)


def next_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    """The next local midnight after ``now`` in the zone, in UTC: when "today" moves on."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return rules.to_utc(tomorrow, tz.key)


# Privacy ----------------------------------------------------------------------------------------


def may_be_private(policy: Policy) -> bool:
    """Whether the request may get a private answer: cheap, and never false when it does (a
    token; for pages also a remember-me cookie or a session that names an organiser)."""
    if policy.private is Private.NOBODY:
        return False
    if request.headers.get("Authorization", "").strip():
        return True
    if policy.private is Private.TOKEN:
        return False
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return remember in request.cookies or "_user_id" in session


def is_private(policy: Policy) -> bool:
    """Whether this request gets a private answer: an organiser is signed in (they see drafts
    and their own navigation), or an API request carries a token."""
    if policy.private is Private.SIGNED_IN:
        return bool(current_user.is_authenticated)
    return policy.private is Private.TOKEN and bool(
        request.headers.get("Authorization", "").strip()
    )


# The answers cache ------------------------------------------------------------------------------


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


def query_key(query_string: str, names: frozenset[str]) -> tuple[str, ...]:
    """The query's parts as the answer reads them: those named in ``names``, sorted by their
    decoded name, keeping the order of the values of one name."""
    parts: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name = unquote_plus(part.partition("=")[0], errors="replace")
        if name in names:
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


def answer_key(endpoint: str, policy: Policy) -> str:
    """The stored answer's key: everything it varies on but the calendar versions."""
    parts = (
        code_version(),
        endpoint,
        sorted((request.view_args or {}).items()),
        query_key(request.query_string.decode(), policy.params),
        links.base_url(),
        request.root_path,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def holds(answer: StoredAnswer, versions: tuple[tuple[int, int], ...], now: datetime) -> bool:
    """Whether a stored answer may be served: not expired, and the calendars it read are at
    the versions it was built from (every calendar's list, when it read them all)."""
    if not answer.fresh(now):
        return False
    if answer.every_calendar:
        return answer.calendars == versions
    current = dict(versions)
    return all(current.get(calendar_id) == version for calendar_id, version in answer.calendars)


def stored_response(answer: StoredAnswer) -> Response:
    """A stored answer, or a 304 with its headers when the client holds it."""
    if held_etag(Validators(answer.etag), utcnow(), gzip_variant=False) is not None:
        return Response(
            status=304,
            headers=[
                (name, value) for name, value in answer.headers if name.lower() not in _BODY_HEADERS
            ],
        )
    return Response(answer.body, headers=list(answer.headers))


def storable(response: Response, state: _State) -> StoredAnswer | None:
    """The answer to store, or None unless it is a public 200 that sets no cookie and varies
    on nothing the key leaves out."""
    if response.status_code != 200 or "Set-Cookie" in response.headers:
        return None
    control = response.headers.get("Cache-Control", "")
    if "private" in control or "no-store" in control:
        return None
    if any(part.lower() not in _SHARED_VARY for part in response.vary):
        return None
    if (
        state.policy.private is Private.SIGNED_IN
        and session
        and (session.modified or session.permanent)
    ):  # the session's cookie will be set
        return None
    body = response.get_data()
    headers = list(response.headers.items())
    etag = response.get_etag()[0]
    if etag is None:
        etag = answer_etag(response.status, headers, body)
        headers.append(("ETag", f'"{etag}"'))
    calendars: tuple[tuple[int, int], ...] = ()
    every = False
    if state.policy.calendars is Calendars.NONE:
        pass
    elif state.policy.calendars is Calendars.ALL or state.reads is None or not state.reads:
        calendars, every = state.versions, True
    else:
        current = dict(state.versions)
        # A calendar made after the versions were read has none yet: the answer is not kept.
        if any(calendar_id not in current for calendar_id in state.reads):
            return None
        calendars = tuple(
            sorted((calendar_id, current[calendar_id]) for calendar_id in state.reads)
        )
        every = False
    return StoredAnswer(tuple(headers), body, etag, state.expires, calendars, every)


class _Flights:
    """The keys being built, each by one thread: the others wait for its answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._building: dict[str, threading.Event] = {}

    def board(self, key: str) -> bool:
        """True when this thread is to build ``key``; else waits for the one building it."""
        with self._lock:
            done = self._building.get(key)
            if done is None:
                self._building[key] = threading.Event()
                return True
        done.wait(_FLIGHT_WAIT_SECONDS)
        return False

    def land(self, key: str) -> None:
        with self._lock:
            done = self._building.pop(key, None)
        if done is not None:
            done.set()


_FLIGHTS = "calendar_answer_flights"


def _answer(endpoint: str, policy: Policy, dispatch: Callable[[], ResponseReturnValue]) -> Response:
    """The view's answer under its policy: private, public, or served from the cache."""
    _only_keyed_args(policy.params)
    state = request.environ[STATE] = _State(policy)
    if may_be_private(policy):
        private = is_private(policy)
        response = make_response(dispatch())
        if private:
            response.headers["Cache-Control"] = PRIVATE
        return _dressed(response, policy)
    if policy.stored:
        cached = _cached(endpoint, policy, state)
        if cached is not None:
            return cached
    return _dressed(make_response(dispatch()), policy)


def _cached(endpoint: str, policy: Policy, state: _State) -> Response | None:
    """The stored answer when it holds; else None, with the key to store the built one under
    (and this thread the one to build it)."""
    try:
        versions = version_reader().read_all()
    except SQLAlchemyError:
        return None  # the view answers, with its error handling
    key = answer_key(endpoint, policy)
    cache = app_caches().answers
    flights: _Flights = current_app.extensions[_FLIGHTS]
    for _attempt in (1, 2):
        answer = cache.get(key)
        if answer is not None and holds(answer, versions, utcnow()):
            state.answered = True
            return stored_response(answer)
        if flights.board(key):
            state.key, state.versions = key, versions
            return None
    return None  # waited twice: build it without storing


def _dressed(response: Response, policy: Policy) -> Response:
    response.headers.setdefault("Cache-Control", policy.cache_control)
    for header in policy.vary:
        response.vary.add(header)
    return response


def _only_keyed_args(names: frozenset[str]) -> None:
    """Leave in ``request.args`` only the parameters named (in their order): what the answer
    is keyed by is then all it can read, signed in or not."""
    args = request.args
    if any(name not in names for name in args):
        request.args = ImmutableMultiDict(
            [(name, value) for name, value in args.items(multi=True) if name in names]
        )


def _store(response: Response) -> Response:
    """After every other hook that writes headers: store a built public answer, and answer
    304 from it when the client already holds it."""
    state: _State | None = request.environ.get(STATE)
    if state is None or state.key is None:
        return response
    try:
        answer = storable(response, state)
        if answer is None:
            return response
        app_caches().answers.put(state.key, answer)
        return stored_response(answer)
    finally:
        current_app.extensions[_FLIGHTS].land(state.key)


def _land(_error: BaseException | None) -> None:
    """A build that failed lets the threads waiting for it build their own."""
    state: _State | None = request.environ.get(STATE)
    if state is not None and state.key is not None:
        current_app.extensions[_FLIGHTS].land(state.key)


# Polls answered before Flask's request machinery ---------------------------------------------

# What an endpoint's validators are made of, from its route arguments alone: (the version row
# read, the validators), or None to leave the request to the view.
PollValidators = Callable[
    [VersionReader, Mapping[str, Any], str, datetime], "tuple[Any, Validators] | None"
]
_POLL_VALIDATORS: dict[str, PollValidators] = {}
# The environ keys of the request context the poll answerer matched (Flask takes it on rather
# than matching the route again), and of what it read for the view.
_MATCHED = "calendar_service.http_cache.matched"
_POLLED = "calendar_service.http_cache.polled"


def answers_polls(endpoint: str, validators: PollValidators) -> None:
    """Let the poll answerer answer 304 for ``endpoint`` (without a query string) from
    ``validators``, read from its route arguments before any of Flask's request machinery."""
    _POLL_VALIDATORS[endpoint] = validators


def polled() -> tuple[Any, Validators, datetime] | None:
    """What the poll answerer read for this request, when it read and did not answer (the
    version row, the validators and the instant they were made for): the view answers from it
    rather than reading the row and making the validators again."""
    found: tuple[Any, Validators, datetime] | None = request.environ.get(_POLLED)
    return found


class _MatchedOnce(RequestContext):
    """A request context whose route is matched once, by whoever asks first: the poll answerer
    (which then hands the context to Flask) or Flask's own push."""

    matched = False

    def match_request(self) -> None:
        if not self.matched:
            self.matched = True
            super().match_request()


class _PollAnswerer:
    """WSGI: the feed polls that can be answered 304 from the version row alone, before a
    request context is pushed (an app context, the session, the hooks, a response object cost
    more than the database read itself).  The route is Flask's match, made here once; every
    other request, and a poll that cannot be answered so (a query string, an unknown calendar,
    a changed feed, a database error), goes on to Flask with the matched context."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._reader: VersionReader | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            (
                environ.get("HTTP_IF_NONE_MATCH") is None
                and environ.get("HTTP_IF_MODIFIED_SINCE") is None
            )
            or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or environ.get("QUERY_STRING")
        ):
            return self.wsgi_app(environ, start_response)
        context = environ[_MATCHED] = _MatchedOnce(self.app, environ)
        if context.url_adapter is not None:  # else an untrusted host: Flask's 400
            context.match_request()
        rule = context.request.url_rule
        validators = None if rule is None else _POLL_VALIDATORS.get(rule.endpoint)
        if rule is not None and validators is not None:
            headers = self._not_modified(context.request, POLICIES[rule.endpoint], validators)
            if headers is not None:
                del environ[_MATCHED]
                start_response("304 NOT MODIFIED", headers)
                return []
        return self.wsgi_app(environ, start_response)

    def _not_modified(
        self, asked: Request, policy: Policy, validators: PollValidators
    ) -> list[tuple[str, str]] | None:
        """The 304's headers when this poll is answered here; else None."""
        try:
            base_url = links.origin(
                self.app.config.get("CALENDAR_BASE_URL"), asked.scheme, asked.host
            )
            now = utcnow()
            found = validators(self._versions(), asked.view_args or {}, base_url, now)
        except SQLAlchemyError:
            return None  # Flask answers, with its error handling
        if found is None:
            return None
        asked.environ[_POLLED] = (*found, now)
        gzip_variant = "Accept-Encoding" in policy.vary
        tag = held(
            found[1],
            now,
            asked.headers.get("If-None-Match"),
            asked.headers.get("If-Modified-Since"),
            (lambda: asked.accept_encodings["gzip"] > 0) if gzip_variant else None,
        )
        if tag is None:
            return None
        return [
            ("ETag", f'"{tag}"'),
            ("Cache-Control", policy.cache_control),
            *(("Vary", ", ".join(policy.vary)) for _ in policy.vary[:1]),
        ]

    def _versions(self) -> VersionReader:
        if self._reader is None:
            with self.app.app_context():
                self._reader = version_reader()
        return self._reader


def register_http_cache(app: Flask) -> None:
    """Answer the policy table's endpoints through the cache.  Register before the hooks that
    add headers (``web.headers``): Flask runs after-request hooks in reverse, so the answer is
    stored with every header they add."""
    app.extensions[_FLIGHTS] = _Flights()
    dispatch = app.dispatch_request

    def dispatch_request() -> ResponseReturnValue:
        policy = POLICIES.get(request.endpoint or "")
        if policy is None or request.method not in ("GET", "HEAD"):
            return dispatch()
        return _answer(request.endpoint or "", policy, dispatch)

    app.dispatch_request = dispatch_request  # type: ignore[method-assign]
    app.after_request(_store)
    app.teardown_request(_land)

    def request_context(environ: WSGIEnvironment) -> RequestContext:
        """The context the poll answerer matched, else a new one (matched once, on push)."""
        matched: RequestContext | None = environ.pop(_MATCHED, None)
        return matched if matched is not None else _MatchedOnce(app, environ)

    app.request_context = request_context  # type: ignore[method-assign]
    app.wsgi_app = _PollAnswerer(app, app.wsgi_app)  # type: ignore[method-assign]
