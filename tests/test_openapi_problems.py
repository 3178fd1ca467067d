"""Every service's OpenAPI documents its error answers (401/403/404/409/413/422/429) as
problem+json with one Problem schema; the two services without API routes yet are fuzzed with the
tokens of four roles too (schemathesis over every service)."""

from __future__ import annotations

import base64
import importlib
from pathlib import Path
from typing import Any

import pytest

from portfolio_shared.testing.fuzz import fuzz_as_roles
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

ERRORS = ("401", "403", "404", "409", "413", "422", "429", "500", "503")
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _create(service: str, tmp_path: Path, minter: TokenMinter) -> tuple[Any, Any]:
    common: dict[str, Any] = {
        "environment": "test",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / service}.db",
        "broker_url": f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        "log_json": False,
    }
    if service == "records":
        from portfolio_records.domain.crypto import generate_key

        common |= {
            "field_keys": f"k1:{base64.b64encode(generate_key()).decode()}",
            "field_current_kid": "k1",
            "blind_index_key": base64.b64encode(generate_key()).decode(),
        }
    if service == "artifacts":
        common["storage_url"] = f"file://{tmp_path / 'objects'}"
    if service == "identity":
        common["key_encryption_secret"] = "test-secret"
    create = importlib.import_module(f"portfolio_{service}.app").create
    bootstrap = importlib.import_module(f"portfolio_{service}.bootstrap").bootstrap
    settings = importlib.import_module(f"portfolio_{service}.config").Settings(**common)
    return bootstrap(settings, verifier=minter.verifier()), create


@pytest.mark.parametrize("service", ["identity", "records", "artifacts", "submission", "notification"])
def test_every_api_operation_documents_problem_answers(service: str, tmp_path: Path) -> None:
    runtime, create = _create(service, tmp_path, TokenMinter())
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
    runtime, create = _create(service, tmp_path, minter)
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
