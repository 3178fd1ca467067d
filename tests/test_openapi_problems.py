"""Every service's OpenAPI documents its error answers (401/403/404/409/413/422/429) as
problem+json with one Problem schema; the two services without API routes yet are fuzzed with the
tokens of four roles too (schemathesis over every service)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio_shared.testing.apps import runtime_and_factory
from portfolio_shared.testing.fuzz import fuzz_as_roles
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

ERRORS = ("401", "403", "404", "409", "413", "422", "429", "500", "503")
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.mark.parametrize("service", ["identity", "records", "artifacts", "submission", "notification"])
def test_every_api_operation_documents_problem_answers(service: str, tmp_path: Path) -> None:
    runtime, create = runtime_and_factory(service, tmp_path)
    schema = create(runtime=runtime).openapi()
    assert schema["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
    operations = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/")
        for method, op in ops.items()
    ]
    for path, method, op in operations:
        for status in ERRORS:
            assert op["responses"][status]["content"] == PROBLEM, (path, method, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


@pytest.mark.parametrize("service", ["submission", "notification"])
async def test_shell_services_fuzzed_with_four_roles_never_error(service: str, tmp_path: Path) -> None:
    minter = TokenMinter()
    runtime, create = runtime_and_factory(service, tmp_path, minter.verifier())
    roles = {
        "student": minter.headers("s1", roles={"sch-A": ["student"]}, kind="student"),
        "teacher": minter.headers("t1", roles={"sch-A": ["course_teacher"]}, kind="teacher"),
        "staff": minter.headers("it1", roles={"sch-A": ["it"]}),
        "district-admin": minter.headers("d1", district_perms=["schools:manage"]),
    }
    async with running(runtime, create) as client:
        report = await fuzz_as_roles(client, client.app.openapi(), roles, examples=3)  # type: ignore[attr-defined]
    assert report.requests > 0 and all(report.per_identity(who) > 0 for who in roles)
    assert report.failures == []
