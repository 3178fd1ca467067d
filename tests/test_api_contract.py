"""The API contract every service shares: stable, readable, unique operationIds (snapshotted per
service in shared/operation_ids/), the OAuth2 password flow of identity's token endpoint on every
service's OpenAPI, and the AsyncAPI document of the events (shared/asyncapi.yaml) kept current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from portfolio_shared import operation_ids as ids
from portfolio_shared.events import REGISTRY, asyncapi
from portfolio_shared.events.subscribers import SUBSCRIBERS
from portfolio_shared.openapi_security import SCHEME
from portfolio_shared.testing import apps


@pytest.fixture(scope="module")
def current() -> dict[str, dict[str, str]]:
    return apps.all_operation_ids()


def test_operation_ids_match_their_snapshot(current: dict[str, dict[str, str]]) -> None:
    problems = ids.diff(current)
    assert problems == [], (
        "operationIds changed (a generated client's method names): review, then run "
        "`.venv/bin/python -m portfolio_shared.operation_ids --write`: " + "; ".join(problems)
    )


@pytest.mark.parametrize("service", apps.SERVICES)
def test_operation_ids_are_unique_and_readable(current: dict[str, dict[str, str]], service: str) -> None:
    assert current[service], service
    assert ids.duplicates(current[service]) == {}
    for operation, oid in current[service].items():
        # `<tag>_<route name>`: no path, no HTTP method glued on as FastAPI's default does.
        assert oid.isidentifier() and oid.islower() and "api_v1" not in oid, (operation, oid)


def test_readable_ids_are_tag_and_route_name(current: dict[str, dict[str, str]]) -> None:
    assert current["artifacts"]["POST /api/v1/outcomes/{outcome_id}/certify"] == "outcomes_certify"
    assert current["identity"]["POST /api/v1/auth/token"] == "auth_token"
    assert current["identity"]["GET /healthz"] == "ops_healthz"


def test_snapshot_check_notices_renamed_added_and_removed_operations(tmp_path: Path) -> None:
    recorded = {"svc": {"GET /a": "things_list", "POST /a": "things_create"}}
    ids.write(recorded, tmp_path)
    assert ids.diff(recorded, tmp_path) == []
    assert ids.diff(
        {"svc": {"GET /a": "things_all", "POST /a": "things_create", "PUT /b": "things_put"}}, tmp_path
    ) == [
        "svc: GET /a: 'things_list' -> 'things_all'",
        "svc: PUT /b: None -> 'things_put'",
    ]
    assert ids.diff({"svc": {"GET /a": "things_list"}}, tmp_path) == ["svc: POST /a: 'things_create' -> None"]
    assert ids.diff({"other": {}}, tmp_path) == ["missing snapshot: other"]


def test_duplicates_are_named() -> None:
    assert ids.duplicates({"GET /a": "x_list", "GET /b": "x_list", "GET /c": "x_get"}) == {
        "x_list": ["GET /a", "GET /b"]
    }


@pytest.mark.parametrize("service", apps.SERVICES)
def test_every_service_declares_the_password_flow_at_the_configured_token_url(service: str, tmp_path: Path) -> None:
    app = apps.build(service, tmp_path)
    default = app.openapi()
    assert default["components"]["securitySchemes"][SCHEME]["flows"]["password"]["tokenUrl"] == (
        "http://127.0.0.1:8001/api/v1/auth/token"
    )
    secured = [op for ops in default["paths"].values() for op in ops.values() if op.get("security")]
    # The two shells (submission, notification) have no API routes yet, only the scheme.
    assert secured or service in ("submission", "notification")
    for op in secured:
        assert {SCHEME: []} in op["security"] and {"HTTPBearer": []} in op["security"], op["operationId"]


def test_the_token_url_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PORTFOLIO_RECORDS_OAUTH2_TOKEN_URL", "https://portfolio.example.edu.tw/identity/api/v1/auth/token"
    )
    schema = apps.build("records", tmp_path).openapi()
    flow = schema["components"]["securitySchemes"][SCHEME]["flows"]["password"]
    assert flow["tokenUrl"] == "https://portfolio.example.edu.tw/identity/api/v1/auth/token"


def test_asyncapi_document_is_current() -> None:
    assert asyncapi.is_current(), "run `.venv/bin/python -m portfolio_shared.events.asyncapi --write` and review"


def test_asyncapi_check_notices_a_stale_document(tmp_path: Path) -> None:
    path = tmp_path / "asyncapi.yaml"
    assert asyncapi.main(["--write", "--path", str(path)]) == 0
    assert asyncapi.main(["--path", str(path)]) == 0
    doc = yaml.safe_load(path.read_text())
    doc["channels"].popitem()
    path.write_text(yaml.safe_dump(doc))
    assert asyncapi.main(["--path", str(path)]) == 1


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_asyncapi_has_every_contract_and_subscription_and_every_ref_resolves() -> None:
    doc = yaml.safe_load(asyncapi.DEFAULT_PATH.read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("3.")
    contracts = {
        cls.routing_key() for cls in REGISTRY.values() if cls.__module__.startswith("portfolio_shared.events.")
    }
    assert {ch["address"] for ch in doc["channels"].values()} == contracts
    sends = {
        _resolve(doc, op["channel"]["$ref"])["address"] for op in doc["operations"].values() if op["action"] == "send"
    }
    assert sends == contracts
    receives = {
        (op["x-consumer-queue"], _resolve(doc, op["channel"]["$ref"])["address"])
        for op in doc["operations"].values()
        if op["action"] == "receive"
    }
    assert receives == {(queue, cls.routing_key()) for queue, payloads in SUBSCRIBERS.items() for cls in payloads}
    refs = [v for v in _walk(doc) if isinstance(v, str) and v.startswith("#/")]
    assert refs
    for ref in refs:
        _resolve(doc, ref)  # a KeyError names the dangling reference
    certified = doc["components"]["messages"]["artifacts_outcome_certified_v1"]["payload"]
    assert certified["properties"]["payload"] == {"$ref": "#/components/schemas/OutcomeCertified"}
    assert certified["properties"]["type"]["const"] == "artifacts.outcome.certified"
    assert json.dumps(doc)  # plain data: no Python objects leaked into the YAML


def _walk(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [v for key, value in node.items() for v in ([value] if key == "$ref" else _walk(value))]
    if isinstance(node, list):
        return [v for item in node for v in _walk(item)]
    return []


# Typed responses: a 2xx JSON body must have a schema with named properties, not a bare
# `dict[str, Any]` (issue 10). No operation of any service may return one: a new route with a bare
# body fails here, whichever service it is in.


def _bare(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return _bare(schema.get("items", {}))
    return schema == {} or (schema.get("type") == "object" and "properties" not in schema)


def untyped_operations(schema: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if path.startswith(("/api/", "/.well-known/"))
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for media, content in response.get("content", {}).items()
        if "json" in media and _bare(content.get("schema", {}))
    }


@pytest.mark.parametrize("service", apps.SERVICES)
def test_no_bare_dict_response_bodies(service: str) -> None:
    assert untyped_operations(apps.openapi(service)) == set()


def test_bare_body_check_tells_a_model_from_a_dict() -> None:
    typed = {"$ref": "#/components/schemas/TokenPair"}
    bare = {"type": "object", "additionalProperties": True}
    assert not _bare(typed) and not _bare({"type": "array", "items": typed})
    assert _bare(bare) and _bare({"type": "array", "items": bare}) and _bare({})
