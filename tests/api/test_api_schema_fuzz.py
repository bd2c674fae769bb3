"""The API under schemathesis: requests generated from our own OpenAPI description, valid and
invalid alike, sent with an admin's token to the seeded calendar (half of them naming one of its
real events).  Whatever they hold, no answer is a server error, and none walks the recurrence
engine or queries the database without bound (counted: dateutil's steps, SQL statements).

The examples are bounded (a fixed number per operation, derandomised on CI), so the run costs the
same every time; `make test` runs it on SQLite and on PostgreSQL.  The operations are listed from
the document itself, so a new route is fuzzed as soon as it is described.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from calendar_service.api.openapi import document

if TYPE_CHECKING:
    from tests.conftest import RuleWalks

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 50
# What one generated request may cost: answers walk a few thousand of dateutil's steps at most
# (a 732-day window over the seed's series) and send up to ~13 statements; the runaways this
# guards against walked millions of steps.
STEPS_PER_REQUEST = 100_000
STATEMENTS_PER_REQUEST = 30


def _operations() -> list[tuple[str, str]]:
    """(path, method) of every operation the document describes; an operation schemathesis
    cannot read is our document's error, so it stops the collection."""
    listed = []
    document_ = document(limit=1, max_days=1, max_total=1, server="/api/v1")
    for result in schemathesis.openapi.from_dict(document_).get_all_operations():
        assert isinstance(result, Ok), result
        listed.append((result.ok().path, result.ok().method.upper()))
    return listed


OPERATIONS = _operations()


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_generated_request_gets_a_server_error(
    seeded: Flask,
    admin_headers: dict[str, str],
    rule_walks: RuleWalks,
    sql_statements: list[str],
    path: str,
    method: str,
) -> None:
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded)[path][method]
    real_dates = _occurrences(seeded)

    @given(case=operation.as_strategy(), real=st.booleans(), date=st.sampled_from(real_dates))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck)
    )
    def send(case: Any, real: bool, date: tuple[str, str]) -> None:
        if real:
            _aim_at(case, *date)
        sql_statements.clear()
        with rule_walks.at_most(STEPS_PER_REQUEST):
            response = case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])
        assert response.status_code < 500
        assert len(sql_statements) <= STATEMENTS_PER_REQUEST, sql_statements

    send()


def _occurrences(app: Flask) -> list[tuple[str, str]]:
    """(uid, recurrence_id) of the seeded calendar's occurrences in 2027."""
    answer = app.test_client().get("/api/v1/occurrences?start=2027-01-01&end=2027-12-31")
    listed = answer.get_json()
    assert answer.status_code == 200 and listed["occurrences"], answer.text
    return [(each["uid"], each["recurrence_id"]) for each in listed["occurrences"]]


def _aim_at(case: Any, uid: str, recurrence_id: str) -> None:
    """Point a generated request at a real event, date and calendar (and drop a random
    If-Match), so the fuzzing reaches the code behind the lookups as well as the 404s."""
    for name, value in (("uid", uid), ("recurrence_id", recurrence_id)):
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    if case.headers:
        case.headers.pop("If-Match", None)
    if case.query:
        real_query = {"calendar": "turing-roche", "start": "2027-01-01", "end": "2027-02-01"}
        case.query.update({name: value for name, value in real_query.items() if name in case.query})
    if isinstance(case.body, dict):
        _aim_body_at_a_real_time(case.body)


def _aim_body_at_a_real_time(body: dict[str, Any]) -> None:
    """Replace the fields every write checks first (calendar, zone, times) with real ones, so
    the rest of a generated body meets the validation behind them."""
    all_day = body.get("all_day") is True
    real = {
        "calendar": "turing-roche",
        "timezone": "Europe/London",
        "start": "2027-03-03" if all_day else "2027-03-03T10:00",
        "end": "2027-03-04" if all_day else "2027-03-03T11:00",
    }
    for name, value in real.items():
        if name in body:
            body[name] = value
