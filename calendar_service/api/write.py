"""Organiser write routes of the API, authenticated with bearer tokens (docs/contract.md:
Organisers).

Views stay thin: parse the body, check the precondition, call ``services.editing``, answer.  Each
request is one transaction (``transactional``); every change leaves an audit entry (operations).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, g, jsonify, request, url_for

import rules
from calendar_service.api.auth import (
    admin_token_required,
    require_calendar,
    require_named_calendar,
    token_required,
    transactional,
)
from calendar_service.api.blueprint import bp
from calendar_service.api.serialise import calendar_json, event_etag, events_json
from calendar_service.services import editing
from calendar_service.store import operations, permissions
from calendar_service.store.models import Event
from calendar_service.store.validation import SURROGATE_MESSAGE, has_surrogates
from calendar_service.web import links
from calendar_service.web.errors import ApiError


def event_response(event: Event, status: int = 200) -> Response:
    token = g.token  # the event's own calendar is the token's; another part's may not be
    drafts = permissions.readable_drafts(token.organiser, token.calendars)
    response = jsonify(events_json([event], drafts=drafts)[0])
    response.status_code = status
    response.headers["ETag"] = event_etag(event)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body() -> Any:
    """The request body as JSON; 400 when it is empty or not JSON, 413 when it is too large."""
    raw = request.get_data(cache=False)  # reading past API_MAX_CONTENT_LENGTH raises 413
    if not raw.strip():
        raise ApiError(400, "The request needs a JSON body.")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "The body is not well-formed JSON (UTF-8).") from None
    _refuse_lone_surrogates(body)
    return body


def _holds_surrogate(value: Any) -> bool:
    """Whether a JSON value holds a lone surrogate (``"\\ud800"``: JSON text allows the
    escape, but it is no Unicode character and cannot be stored or encoded as UTF-8)."""
    if isinstance(value, str):
        return has_surrogates(value)
    if isinstance(value, list):
        return any(_holds_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_surrogate(key) or _holds_surrogate(item) for key, item in value.items())
    return False


def _refuse_lone_surrogates(body: Any) -> None:
    """A 422 naming each field (the whole body when it is no object) that holds one."""
    if isinstance(body, dict):
        errors = {
            (key if not has_surrogates(key) else "body")[:100]: SURROGATE_MESSAGE
            for key, value in body.items()
            if _holds_surrogate(key) or _holds_surrogate(value)
        }
    else:
        errors = {"body": SURROGATE_MESSAGE} if _holds_surrogate(body) else {}
    if errors:
        raise ApiError(422, "The body holds text that is not valid Unicode.", errors=errors)


def event_or_404(uid: str) -> editing.Editable:
    """The event the URL names, which the request's token must be allowed to change (else
    404, 403): the one check of the routes that change it."""
    event = operations.find_event(uid)
    if event is None:
        raise ApiError(404, "There is no event with this uid.")
    require_calendar(event.calendar)
    return editing.open_event(event, g.organiser)


def check_if_match(event: Event) -> None:
    """Honour If-Match (RFC 9110 §13.1.1): 412 when the client edited an older version."""
    if "If-Match" not in request.headers:
        return
    if request.if_match.star_tag:
        return
    if not request.if_match.contains(event_etag(event).strip('"')):
        raise ApiError(
            412,
            "The event changed since you read it; fetch it again and reapply your change.",
            headers={"ETag": event_etag(event)},
        )


@bp.post("/calendars")
@admin_token_required
@transactional
def create_calendar() -> tuple[Response, int]:
    """Add a calendar (admins only)."""
    calendar = operations.create_calendar(
        json_body(), g.organiser, default_tz=current_app.config["CALENDAR_TIMEZONE"]
    )
    return jsonify(calendar_json(calendar, links.feed_url(calendar.slug))), 201


@bp.post("/events")
@token_required
@transactional
def create_event() -> Response:
    """Add an event or series; 201 with the stored EVENT and its Location."""
    body = json_body()
    require_named_calendar(body)
    event = editing.create_event(body, g.organiser)
    response = event_response(event, 201)
    response.headers["Location"] = links.absolute(url_for("api.get_event", uid=event.uid))
    return response


@bp.patch("/events/<path:uid>")
@token_required
@transactional
def update_event(uid: str) -> Response:
    """Change the given fields of an event; SEQUENCE goes up when subscribers must notice."""
    target = event_or_404(uid)
    check_if_match(target.event)
    body = json_body()
    require_named_calendar(body)
    return event_response(editing.update_event(target, body))


@bp.delete("/events/<path:uid>")
@token_required
@transactional
def delete_event(uid: str) -> tuple[str, int]:
    """Delete an event or a whole series."""
    target = event_or_404(uid)
    check_if_match(target.event)
    editing.delete_one(target)
    return "", 204


def _occurrence(uid: str, recurrence_id: str) -> tuple[editing.Editable, rules.Moment]:
    """The series (If-Match checked) and the occurrence the URL names; 404 if not generated."""
    target = event_or_404(uid)
    check_if_match(target.event)
    return target, operations.parse_recurrence_id(target.event, recurrence_id)


@bp.put("/events/<path:uid>/occurrences/<recurrence_id>")
@token_required
@transactional
def set_occurrence(uid: str, recurrence_id: str) -> Response:
    """Move, retitle or cancel one occurrence of a series."""
    target, moment = _occurrence(uid, recurrence_id)
    editing.change_occurrence(target, moment, json_body())
    return event_response(target.event)


@bp.delete("/events/<path:uid>/occurrences/<recurrence_id>")
@token_required
@transactional
def restore_occurrence(uid: str, recurrence_id: str) -> Response:
    """Restore one occurrence to what the series says."""
    target, moment = _occurrence(uid, recurrence_id)
    editing.restore_occurrence(target, moment)
    response = Response(status=204)
    response.headers["ETag"] = event_etag(target.event)
    return response
