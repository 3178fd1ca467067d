"""Build each service's FastAPI app offline (SQLite files, in-process bus, local storage) to read
its OpenAPI document: the operationId snapshot (``portfolio_shared.operation_ids``) and contract
tests use it. Services are imported by name so ``shared`` keeps no import pointing at a service."""

from __future__ import annotations

import base64
import importlib
import secrets
import tempfile
from pathlib import Path
from typing import Any

SERVICES = ("identity", "records", "artifacts", "submission", "notification")


def runtime_and_factory(service: str, directory: Path, verifier: Any | None = None) -> tuple[Any, Any]:
    """The service's runtime and its app factory (``create``), configured to touch only files under
    ``directory``; tests that run the app themselves (``harness.running``) take both."""
    settings_args: dict[str, Any] = {
        "environment": "test",
        "database_url": f"sqlite+aiosqlite:///{directory / service}.db",
        "broker_url": f"sqlite+aiosqlite:///{directory / 'bus.db'}",
        "log_json": False,
    }
    if service == "records":
        settings_args |= {
            "field_keys": f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
            "field_current_kid": "k1",
            "blind_index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
    if service == "artifacts":
        settings_args["storage_url"] = f"file://{directory / 'objects'}"
    if service == "identity":
        settings_args["key_encryption_secret"] = "offline-openapi"  # noqa: S105 - never a real secret
    settings = importlib.import_module(f"portfolio_{service}.config").Settings(**settings_args)
    bootstrap = importlib.import_module(f"portfolio_{service}.bootstrap").bootstrap
    if verifier is None:
        from .tokens import TokenMinter

        verifier = TokenMinter().verifier()
    create = importlib.import_module(f"portfolio_{service}.app").create
    return bootstrap(settings, verifier=verifier), create


def build(service: str, directory: Path, verifier: Any | None = None) -> Any:
    """The service's app, configured to touch only files under ``directory``."""
    runtime, create = runtime_and_factory(service, directory, verifier)
    return create(runtime=runtime)


def openapi(service: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        schema: dict[str, Any] = build(service, Path(tmp)).openapi()
        return schema


def all_operation_ids() -> dict[str, dict[str, str]]:
    from ..operation_ids import operation_ids

    return {service: operation_ids(openapi(service)) for service in SERVICES}
