"""The API fuzzed from its own OpenAPI description (schemathesis): never a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import status_code_conformance
from tests.serving.conftest import Service

EXAMPLES_PER_OPERATION = 15


def test_no_input_makes_the_service_fail(service: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples every run: no flaky suite
            suppress_health_check=list(HealthCheck),
        )
        def never_a_server_error(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            case.validate_response(response, checks=[status_code_conformance])

        never_a_server_error()
