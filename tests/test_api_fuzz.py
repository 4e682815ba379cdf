"""Schemathesis over the whole OpenAPI document: no request, however odd, gets a 5xx, and every
answer matches the schema the document gives for it.

A few generated examples per operation keep ``make test`` fast; ``bench/fuzz.py`` makes the long
run (10,000+ calls). Requests carry a district administrator's write token, so they reach the
code behind authentication and the writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from linli.accounts import services
from linli.wsgi import application


@pytest.fixture
def staff_token(db: Any, hierarchy: Any, district_admin: Any) -> str:
    return services.create_api_token(
        owner=district_admin, name="schemathesis", read_only=False
    ).plain


@pytest.fixture(autouse=True)
def _keep_the_tests_connection() -> Iterator[None]:
    """Keep the test's database connection open across requests, as Django's test client does.

    Schemathesis calls the WSGI application directly, so the end of the first request closes
    the connection the test's transaction lives on: on PostgreSQL every later request then failed
    with "the connection is closed" (SQLite's test database ignores the close).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_answers_match_the_schema(case: Any, staff_token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {staff_token}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
