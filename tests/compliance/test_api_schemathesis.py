"""The platform API against its own OpenAPI schema: schemathesis generates valid and invalid
requests for every operation from ``/api/v1/openapi.json`` and runs all of its checks on each
answer (no 5xx, every status and body and header as documented, invalid input refused with a
4xx, missing auth refused with a 401, wrong methods with a 405). It calls the WSGI application
in-process with a real token from the product's own token model, on whichever database the
suite runs (PostgreSQL in CI)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from lms.compliance.models import ApiScope
from lms.wsgi import application
from tests.factories import FirmFactory

from .api_factories import ALL_SCOPES, bearer, issue_token, make_collector, rate

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def api_key(db, settings) -> str:
    """A key with every scope, for a firm with rated collectors (so lists have rows to page)."""
    # The schema's 429 is documented and tested in test_api; here it would only cut the run short.
    settings.API_RATE_LIMIT = "100000/m"
    firm = FirmFactory(name="阳光资产管理有限公司")
    for grade, score in (("A", "91.00"), ("C", "62.50"), ("D", "40.00")):
        rate(make_collector(firm), grade, score, snapshots=2)
    _token, key = issue_token(firm, [*ALL_SCOPES, ApiScope.PERSONAL_DATA])
    return key


@pytest.fixture
def same_connection():
    """The WSGI handler closes the database connection after each request, which would end the
    test's transaction; Django's test client disconnects the same signal for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_to_the_schema_under_generated_input(
    case, api_key, same_connection
):
    headers = {"Authorization": bearer(api_key)["HTTP_AUTHORIZATION"]}
    case.call_and_validate(headers=headers)
