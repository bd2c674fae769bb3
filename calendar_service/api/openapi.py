"""The OpenAPI 3.1 description of the whole API (docs/contract.md: GET /api/v1/openapi.json).

Kept as a plain Python structure beside the routes so a change to the API and to its
description land in one commit; tests check that every route the app registers under
/api/v1 is described here and the other way round.
"""

from __future__ import annotations

from typing import Any

from calendar_service.store.identifiers import SLUG_PATTERN, UID_PATTERN
from calendar_service.store.moments import MOMENT_PATTERN
from calendar_service.store.validation import (
    MAX_CATEGORIES,
    MAX_DATES,
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_TITLE,
    MAX_URL,
)

JSON = "application/json"
PROBLEM = "application/problem+json"

# Page sizes of the list answers, as api.read applies them (default, most).
EVENTS_PAGE = (100, 1000)
CALENDARS_PAGE = (50, 200)
LISTED_CATEGORIES = 100


_SLUG = {"type": "string", "pattern": SLUG_PATTERN}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _problems(*statuses: int) -> dict[str, Any]:
    words = {
        400: "Malformed request: bad JSON, or control characters in the address.",
        401: "Missing, unknown, revoked or expired token (`detail` says which).",
        403: "Not allowed: an admin route, a read-only token, or a calendar the organiser was "
        "not granted (or the token is not for).",
        404: "Unknown calendar, event or occurrence (drafts are unknown without a token that "
        "may read that calendar's drafts).",
        409: "Conflict: the uid is taken, as another event's uid or readable address.",
        412: "If-Match does not match: the event changed meanwhile.",
        413: "Body over 1 MiB.",
        422: "Invalid fields; `errors` maps each field to a message.",
        503: "The database is not answering; retry after the `Retry-After` seconds.",
    }
    # Any request may be a 400 (the address guard refuses control characters before routing)
    # or a 503 (the database does not answer).
    return {
        str(status): {
            "description": words[status],
            "content": {PROBLEM: {"schema": _ref("Problem")}},
        }
        for status in sorted({400, 503, *statuses})
    }


_TEXT_MOMENT = {
    "type": "string",
    "pattern": MOMENT_PATTERN,
    "description": "Local wall time `YYYY-MM-DDTHH:MM:SS` in the event's `timezone` (an input "
    "with a UTC offset is converted), or a date `YYYY-MM-DD` for all-day events.",
    "examples": ["2027-01-27T14:00:00", "2027-03-16"],
}

_SUBSCRIBE = {
    "type": "object",
    "description": "Subscribe links for each platform, all for the same feed.",
    "properties": {
        "https": {"type": "string", "format": "uri", "description": "The feed to paste."},
        "apple": {"type": "string", "description": "webcal:// link (Apple Calendar)."},
        "webcal": {"type": "string", "description": "The same webcal:// link."},
        "google": {
            "type": "string",
            "format": "uri",
            "description": "Google Calendar's add-by-URL link (cid=webcal://…).",
        },
        "outlook_com": {
            "type": "string",
            "format": "uri",
            "description": "Outlook.com (personal accounts).",
        },
        "outlook_365": {
            "type": "string",
            "format": "uri",
            "description": "Outlook for Microsoft 365 (work or school).",
        },
    },
}


def _schemas(limit: int) -> dict[str, Any]:
    return {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "On a 422: field name → message.",
                },
            },
        },
        "Event": {
            "type": "object",
            "description": "One event or recurring series. Required on create: `calendar`, "
            "`title`, `start`. Unknown fields are a 422.",
            "required": ["calendar", "title", "start"],
            "properties": {
                "uid": {
                    "type": "string",
                    "pattern": UID_PATTERN,
                    "description": "Generated when not given; printable ASCII without "
                    "spaces, so it may contain `@`, `.` and `/`. It is the event's address "
                    "(`/events/<uid>`), so it may not end in `.ics`, begin or end with `/`, "
                    "hold `//`, or have `.`, `..`, `next`, `edit`, `delete` or "
                    "`occurrences` after a `/` (a 422); another event's uid or readable "
                    "address is a 409.",
                },
                "calendar": {**_SLUG, "description": "The calendar's slug."},
                "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
                "description": {
                    "type": "string",
                    "maxLength": MAX_DESCRIPTION,
                    "description": "Plain text; links and line breaks are shown, no HTML.",
                },
                "location": {"type": "string", "maxLength": MAX_LOCATION},
                "url": {
                    "type": "string",
                    "format": "uri",
                    "pattern": "^https?://\\S+$",
                    "maxLength": MAX_URL,
                    "description": "http(s) only.",
                },
                "categories": {"type": "array", "items": _SLUG, "maxItems": MAX_CATEGORIES},
                "start": _TEXT_MOMENT,
                "end": {
                    **_TEXT_MOMENT,
                    "description": "Default: start + 1 hour (timed) or "
                    "+ 1 day (all-day); all-day ends are exclusive.",
                },
                "timezone": {
                    "type": "string",
                    "description": "IANA zone; default: the calendar's.",
                    "examples": ["Europe/London"],
                },
                "all_day": {"type": "boolean", "default": False},
                "rrule": {
                    "type": ["string", "null"],
                    "description": "RFC 5545 RRULE value without the `RRULE:` prefix.",
                    "examples": ["FREQ=MONTHLY;BYDAY=-1WE"],
                },
                "rdates": {"type": "array", "items": _TEXT_MOMENT, "maxItems": MAX_DATES},
                "exdates": {"type": "array", "items": _TEXT_MOMENT, "maxItems": MAX_DATES},
                "status": {
                    "type": "string",
                    "enum": ["confirmed", "tentative", "cancelled"],
                    "default": "confirmed",
                },
                "published": {
                    "type": "boolean",
                    "default": True,
                    "description": "Drafts (false) are visible only with a token.",
                },
                "sequence": {"type": "integer", "readOnly": True},
                "recurrence_text": {
                    "type": ["string", "null"],
                    "readOnly": True,
                    "examples": ["Monthly on the last Wednesday"],
                },
                "created": {"type": "string", "format": "date-time", "readOnly": True},
                "updated": {"type": "string", "format": "date-time", "readOnly": True},
                "continues": {
                    "type": ["string", "null"],
                    "readOnly": True,
                    "description": "The uid of the earlier part of the same series, "
                    "when this one began with a change made from one of its dates "
                    "on.",
                },
                "continued_by": {
                    "type": ["string", "null"],
                    "readOnly": True,
                    "description": "The uid of the part that continues this "
                    "series from the date it was changed from.",
                },
            },
        },
        "Occurrence": {
            "type": "object",
            "description": "One occurrence. Timed ones carry their UTC offset in the event's "
            "zone; all-day ones are dates with an exclusive end. Cancelled "
            "occurrences are listed with status `cancelled`.",
            "properties": {
                "uid": {"type": "string"},
                "recurrence_id": {
                    "type": ["string", "null"],
                    "description": "The original "
                    "local start; null for an event without rrule and rdates.",
                },
                "title": {"type": "string"},
                "start": {"type": "string", "examples": ["2027-01-27T14:00:00+00:00"]},
                "end": {"type": "string"},
                "all_day": {"type": "boolean"},
                "timezone": {"type": "string"},
                "status": {"type": "string", "enum": ["confirmed", "tentative", "cancelled"]},
                "calendar": {"type": "string"},
                "categories": {"type": "array", "items": {"type": "string"}},
                "location": {"type": "string"},
                "url": {"type": "string"},
                "moved": {"type": "boolean", "description": "An override moved it."},
            },
        },
        "Subscribe": _SUBSCRIBE,
        "Calendar": {
            "type": "object",
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "description": {"type": "string"},
                "timezone": {"type": "string"},
                "feed_url": {"type": "string", "format": "uri"},
                "subscribe": _ref("Subscribe"),
                "agenda_url": {"type": "string", "format": "uri"},
                "next_url": {
                    "type": "string",
                    "format": "uri",
                    "description": "Redirects to the next occurrence's page.",
                },
                "categories": {
                    "type": "array",
                    "maxItems": LISTED_CATEGORIES,
                    "items": {
                        "type": "object",
                        "properties": {
                            "slug": {"type": "string"},
                            "name": {"type": "string"},
                            "feed_url": {"type": "string", "format": "uri"},
                            "subscribe": _ref("Subscribe"),
                        },
                    },
                    "description": f"The calendar's first {LISTED_CATEGORIES} categories by slug.",
                },
                "categories_truncated": {
                    "type": "boolean",
                    "description": "True when the "
                    f"calendar has more than {LISTED_CATEGORIES} "
                    "categories and the rest were left out.",
                },
            },
        },
        "Occurrences": {
            "type": "object",
            "properties": {
                "occurrences": {"type": "array", "items": _ref("Occurrence")},
                "truncated": {
                    "type": "boolean",
                    "description": f"True when an event had more "
                    f"than {limit} occurrences in the window (or the answer hit its "
                    "total cap, or left events out as too costly) and some were "
                    "left out.",
                },
                "left_out": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Only when some were left out: the uids (at most 20) of events "
                    "too costly to expand over the window, alone or together with "
                    "the others; the rest are listed.",
                },
                "left_out_count": {
                    "type": "integer",
                    "description": "How many events were left out as too costly (with `left_out`).",
                },
                "notice": {
                    "type": "string",
                    "description": "Says what was left out and why (with `left_out`).",
                },
                "limit": {"type": "integer", "description": "Occurrences per event at most."},
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"},
                "timezone": {
                    "type": "string",
                    "description": "Zone bounds without an offset were read in.",
                },
            },
        },
    }


def _parameters() -> dict[str, Any]:
    def query(name: str, description: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "description": description,
            "schema": {"type": "string"},
            **extra,
        }

    return {
        "uid": {
            "name": "uid",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": UID_PATTERN},
            "description": "The event's uid; it may contain `/`, sent as it is.",
        },
        "recurrence_id": {
            "name": "recurrence_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": MOMENT_PATTERN},
            "description": "The occurrence's original start: "
            "`YYYY-MM-DDTHH:MM:SS` local, or `YYYY-MM-DD`.",
        },
        "calendar": {**query("calendar", "A calendar's slug (unknown: 404)."), "schema": _SLUG},
        "category": {
            **query("category", "A category slug; repeatable, any of them."),
            "schema": {"type": "array", "items": _SLUG},
            "style": "form",
            "explode": True,
        },
    }


def _page_parameters(sizes: tuple[int, int], what: str, order: str) -> list[dict[str, Any]]:
    default, most = sizes
    return [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": most, "default": default},
            "description": f"{what.capitalize()} per page: {default} by default, at most {most}; "
            "anything else is a 422.",
        },
        {
            "name": "after",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": f"The {order} of the previous page's last {what[:-1]} (exclusive): "
            "follow `next` rather than building it.",
        },
    ]


def _page_of(name: str, item: str, what: str, order: str, sizes: tuple[int, int]) -> dict[str, Any]:
    """A 200 answer holding one page of a list, with its ``next`` link and Link header."""
    answer = _json(
        {
            "type": "object",
            "required": [name, "next"],
            "properties": {
                name: {"type": "array", "items": _ref(item), "maxItems": sizes[1]},
                "next": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": f"The next page of {what} (the same query, `after` moved "
                    "on), or null on the last page.",
                },
            },
        },
        f"One page of {what} in {order} order; every {what[:-1]} is on exactly one page.",
    )
    answer["headers"] = {
        "Link": {
            "schema": {"type": "string"},
            "description": '`<next>; rel="next"` when there is a next page.',
        }
    }
    return answer


def _bound(name: str, max_days: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "schema": {"type": "string", "pattern": MOMENT_PATTERN},
        "description": "A date (local midnight) or a date-time; without an offset it is local "
        "time in the calendar's zone (CALENDAR_TIMEZONE when no calendar is "
        f"named). The window is half-open [start, end) and at most {max_days} "
        "days long.",
    }


def document(*, limit: int, max_days: int, max_total: int, server: str) -> dict[str, Any]:
    """The OpenAPI document, with the configured limits written into it."""
    token: list[dict[str, list[str]]] = [{"bearer": []}]
    uid, rid = (
        {"$ref": "#/components/parameters/uid"},
        {"$ref": "#/components/parameters/recurrence_id"},
    )
    calendar, category = (
        {"$ref": "#/components/parameters/calendar"},
        {"$ref": "#/components/parameters/category"},
    )
    optional_token: list[dict[str, list[str]]] = [{}, {"bearer": []}]
    if_match = {
        "name": "If-Match",
        "in": "header",
        "schema": {"type": "string"},
        "description": "The event's ETag: 412 when it changed meanwhile.",
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Calendar service API",
            "version": "1",
            "description": "Public reads of published calendars, events and occurrences; "
            "organiser writes with `Authorization: Bearer <token>` (make one with "
            "`calendar-service create-token EMAIL`) to the calendars they were "
            "granted; a token reads or writes, may be kept to some calendars "
            "and may expire. Every error is "
            "application/problem+json. A valid token on a read also shows "
            "the drafts of the calendars its organiser may change (of those it "
            "is kept to, when it is kept to some). One occurrences answer lists "
            f"at most {limit} occurrences "
            f"per event and {max_total} in all, and says `truncated` when it "
            "cut any. Lists of events and calendars come a page at a time: "
            "`limit` sets the page size (documented per route), and the "
            'answer\'s `next` (also a `Link: <…>; rel="next"` header) is the '
            "address of the following page, null on the last.",
        },
        "servers": [{"url": server}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(limit),
            "parameters": _parameters(),
        },
        "paths": {
            "/calendars": {
                "get": {
                    "operationId": "listCalendars",
                    "summary": "Calendars by slug, a page at a time",
                    "parameters": _page_parameters(CALENDARS_PAGE, "calendars", "slug"),
                    "responses": {
                        "200": _page_of(
                            "calendars", "Calendar", "calendars", "slug", CALENDARS_PAGE
                        ),
                        **_problems(422),
                    },
                },
                "post": {
                    "operationId": "createCalendar",
                    "summary": "Add a calendar (admins)",
                    "security": token,
                    "requestBody": {
                        "required": True,
                        "content": {
                            JSON: {
                                "schema": {
                                    "type": "object",
                                    "required": ["slug", "name"],
                                    "properties": {
                                        "slug": _SLUG,
                                        "name": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": 200,
                                        },
                                        "description": {"type": "string"},
                                        "timezone": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(_ref("Calendar"), "Created."),
                        **_problems(400, 401, 403, 413, 422),
                    },
                },
            },
            "/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Events (series) by uid, a page at a time",
                    "security": optional_token,
                    "parameters": [
                        calendar,
                        category,
                        *_page_parameters(EVENTS_PAGE, "events", "uid"),
                    ],
                    "responses": {
                        "200": _page_of("events", "Event", "events", "uid", EVENTS_PAGE),
                        **_problems(401, 404, 422),
                    },
                },
                "post": {
                    "operationId": "createEvent",
                    "summary": "Add an event or series",
                    "security": token,
                    "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Event")}}},
                    "responses": {
                        "201": {
                            **_json(_ref("Event"), "Created."),
                            "headers": {"Location": {"schema": {"type": "string"}}},
                        },
                        **_problems(400, 401, 403, 409, 413, 422),
                    },
                },
            },
            "/events/{uid}": {
                "parameters": [uid],
                "get": {
                    "operationId": "getEvent",
                    "summary": "One event",
                    "security": optional_token,
                    "responses": {"200": _json(_ref("Event"), "The event."), **_problems(401, 404)},
                },
                "patch": {
                    "operationId": "updateEvent",
                    "summary": "Change the given fields",
                    "description": "Bumps `sequence`; honours If-Match (412 when the event "
                    "changed meanwhile).",
                    "security": token,
                    "parameters": [
                        {"name": "If-Match", "in": "header", "schema": {"type": "string"}}
                    ],
                    "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Event")}}},
                    "responses": {
                        "200": _json(_ref("Event"), "The stored event."),
                        **_problems(400, 401, 403, 404, 409, 412, 413, 422),
                    },
                },
                "delete": {
                    "operationId": "deleteEvent",
                    "summary": "Delete an event",
                    "security": token,
                    "parameters": [if_match],
                    "responses": {
                        "204": {"description": "Deleted."},
                        **_problems(401, 403, 404, 412),
                    },
                },
            },
            "/events/{uid}/occurrences/{recurrence_id}": {
                "parameters": [uid, rid],
                "put": {
                    "operationId": "overrideOccurrence",
                    "summary": "Cancel, move or retitle one occurrence",
                    "security": token,
                    "requestBody": {
                        "required": True,
                        "content": {
                            JSON: {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "status": {
                                            "type": "string",
                                            "enum": ["cancelled", "confirmed"],
                                        },
                                        "start": _TEXT_MOMENT,
                                        "end": _TEXT_MOMENT,
                                        "title": {"type": "string"},
                                        "location": {"type": "string"},
                                        "description": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "parameters": [if_match],
                    "responses": {
                        "200": _json(_ref("Event"), "The series."),
                        "204": {"description": "Stored."},
                        **_problems(400, 401, 403, 404, 412, 413, 422),
                    },
                },
                "delete": {
                    "operationId": "restoreOccurrence",
                    "summary": "Restore an occurrence to the series",
                    "security": token,
                    "parameters": [if_match],
                    "responses": {
                        "204": {"description": "Restored."},
                        **_problems(401, 403, 404, 412),
                    },
                },
            },
            "/occurrences": {
                "get": {
                    "operationId": "listOccurrences",
                    "summary": "Occurrences overlapping a window, in start order",
                    "security": optional_token,
                    "parameters": [
                        _bound("start", max_days),
                        _bound("end", max_days),
                        calendar,
                        category,
                    ],
                    "responses": {
                        "200": _json(_ref("Occurrences"), "The occurrences."),
                        **_problems(401, 404, 422),
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
                },
            },
        },
    }
