"""Property-based requests generated from the records OpenAPI: the server never errors (5xx).

Bounded on purpose (a few examples per operation) so the run stays short on 2 cores. The token
carries every permission district-wide so generated requests reach the database code paths.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis.errors import NonInteractiveExampleWarning, Unsatisfiable
from schemathesis import GenerationMode

from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fuzz import httpx_request_kwargs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 5


async def test_generated_requests_never_cause_a_server_error(records: Any) -> None:
    student = await records.admit("sch-A", 1)
    course = await records.client.post(
        "/api/v1/schools/sch-A/courses",
        json={"academic_year": 114, "semester": 1, "course_code": "F1", "subject_name": "s", "credits": 1},
        headers=records.staff("sch-A"),
    )
    # Random path parameters mostly miss; pinned ones reach the code behind existing objects.
    pinned = {"school_id": "sch-A", "student_id": student["id"], "course_id": course.json()["id"]}
    app = records.client.app
    schema = schemathesis.openapi.from_dict(app.openapi())
    headers = records.minter.headers("fuzzer", district_perms=[str(p) for p in P])
    failures: list[str] = []
    requests = 0
    statuses: dict[int, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an Err would raise here: the schema is ours
            names = {p.name for p in operation.path_parameters}
            fixed = {k: v for k, v in pinned.items() if k in names}
            strategies = [
                operation.as_strategy(mode, path_parameters=params)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                for params in ({}, fixed)
            ]
            for strategy in strategies:
                for _ in range(EXAMPLES_PER_OPERATION):
                    try:
                        case = strategy.example()
                    except Unsatisfiable:
                        break  # e.g. no invalid request exists for an operation without inputs
                    kwargs = httpx_request_kwargs(case, headers)
                    try:
                        response = await records.client.request(**kwargs)
                    except (httpx.InvalidURL, UnicodeEncodeError):
                        continue  # the client cannot even send it (e.g. lone surrogates in a header)
                    except Exception as exc:  # the app raised through the transport: a server error
                        failures.append(f"{kwargs['method']} {kwargs['url']}: {exc!r}")
                        continue
                    requests += 1
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code >= 500:
                        failures.append(
                            f"{kwargs['method']} {kwargs['url']} → {response.status_code} {response.text[:200]}"
                        )
    print("schemathesis requests", requests, sorted(statuses.items()))
    assert requests > 300
    assert failures == []
