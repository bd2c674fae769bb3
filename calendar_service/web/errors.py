"""Error answers: problem+json (RFC 9457) for the API, a plain page for browsers.

The one place that maps the store's refusals (``store.errors``) to HTTP statuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from sqlalchemy.exc import DataError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
)
from werkzeug.exceptions import Conflict as HTTPConflict
from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import NotFound as HTTPNotFound

from calendar_service.deadline import DeadlineExceeded
from calendar_service.store.errors import Conflict, Forbidden, NotFound, ValidationError

PROBLEM_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


# How long a client is asked to wait when the database does not answer.
RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """Raised by API code to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.errors = errors
        self.headers = headers or {}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response with the contract's fields."""
    from werkzeug.http import HTTP_STATUS_CODES

    body: dict[str, Any] = {
        "type": f"about:blank#{PROBLEM_TYPES.get(status, 'error')}",
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def _error_page(error: HTTPException, status: int) -> Response | tuple[str, int]:
    """The error page; plain text when the request was refused before any URL could be built
    (a Host outside TRUSTED_HOSTS), as the page's links need one."""
    if request_ctx.url_adapter is None:
        return Response(
            f"{status} {error.name}\n{error.description}\n", status, mimetype="text/plain"
        )
    return render_template("error.html", error=error, status=status), status


def _rollback_quietly() -> None:
    """End the request's failed transaction before the error page renders (it may read the
    signed-in organiser); a connection that is already gone has nothing to roll back."""
    from calendar_service.store.db import db

    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass


def _api_error(error: ApiError) -> Response:
    return problem(
        error.status,
        error.detail,
        title=error.title,
        errors=error.errors,
        headers=error.headers,
    )


def _validation_error(error: ValidationError) -> Response:
    return problem(422, "Some fields are not valid.", errors=error.errors)


def _not_found(error: NotFound) -> Response | tuple[str, int]:
    return _http_error(HTTPNotFound(error.detail))


def _forbidden(error: Forbidden) -> Response | tuple[str, int]:
    _rollback_quietly()
    return _http_error(HTTPForbidden(error.detail))


def _conflict(error: Conflict) -> Response | tuple[str, int]:
    if _wants_problem():
        return problem(409, error.detail, errors=error.errors)
    return _http_error(HTTPConflict(error.detail))


def _http_error(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    if _wants_problem():
        response = problem(status, error.description or "")
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response
    return _error_page(error, status)


def _data_error(error: DataError) -> Response | tuple[str, int]:
    # A value the database refuses (out of range, NUL in text) that validation let through:
    # the client's input, so a 400, and the request's transaction is rolled back.
    _rollback_quietly()
    current_app.logger.warning("database refused a value on %s: %s", request.path, error.orig)
    return _http_error(BadRequest("A value in the request was not accepted."))


def _database_unavailable(error: OperationalError | PoolTimeout) -> Response | tuple[str, int]:
    # The database did not answer (a restart, a dropped connection, SQLite busy past its
    # timeout) or every connection stayed busy past CALENDAR_POOL_TIMEOUT: a 503 that calendar
    # clients and proxies retry, not a 500 that says the request itself broke something.
    # Pooled connections reconnect on the next request.
    _rollback_quietly()
    current_app.logger.error(
        "database unavailable on %s %s: %s",
        request.method,
        request.path,
        getattr(error, "orig", None) or error,
    )
    return _retry_later("The database is not answering; try again shortly.")


def _retry_later(message: str) -> Response:
    """A 503 with Retry-After, in the form the client asked for: what clients retry."""
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _wants_problem():
        return problem(503, message, headers=retry)
    response = current_app.make_response(_error_page(ServiceUnavailable(message), 503))
    response.headers.update(retry)
    return response


def _past_deadline(error: DeadlineExceeded) -> Response | tuple[str, int]:
    # A read whose work outgrew CALENDAR_REQUEST_SECONDS: what it finished stays cached, so a
    # retry goes further; a 503 with Retry-After is what clients and proxies retry.
    current_app.logger.warning("%s %s stopped: %s", request.method, request.path, error)
    return _retry_later(
        f"This page took more than {error.seconds:g} seconds to prepare; try again shortly."
    )


def _unexpected(error: Exception) -> Response | tuple[str, int]:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    wrapped = InternalServerError()
    if _wants_problem():
        return problem(500, "The server could not complete the request.")
    return _error_page(wrapped, 500)


# Each kind of error and its answer.  Flask picks the handler of the error's nearest class, so
# the order here does not matter; Exception catches whatever the others do not.
_ERROR_HANDLERS: tuple[tuple[type[Exception], Callable[[Any], Response | tuple[str, int]]], ...] = (
    (ApiError, _api_error),
    (ValidationError, _validation_error),
    (NotFound, _not_found),
    (Forbidden, _forbidden),
    (Conflict, _conflict),
    (HTTPException, _http_error),
    (DataError, _data_error),
    (OperationalError, _database_unavailable),
    (PoolTimeout, _database_unavailable),
    (DeadlineExceeded, _past_deadline),
    (Exception, _unexpected),
)


def register_error_handlers(app: Flask) -> None:
    """Every error, expected or not, answers in the form the client asked for: never a traceback."""
    for error_class, handler in _ERROR_HANDLERS:
        app.register_error_handler(error_class, handler)
