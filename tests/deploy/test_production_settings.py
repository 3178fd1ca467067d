"""Issue 14: the production overlay, rendered as an operator would, gives every service what it needs to
start. For each container of a Deployment, CronJob or Job, the service's Settings are built with
environment=production from exactly the environment the manifests give it (Secret keys filled with
dummy values of the right shape, optional references left out) and any refusal fails the test.

Nothing here lists the services: they are found in the rendered manifests (a new service, CronJob or
Secret key is picked up by itself)."""

from __future__ import annotations

import importlib
import os
import re
from typing import Any

import pytest
from k8s import Container, containers, environment, render
from pydantic import ValidationError

ENVIRONMENT_VAR = re.compile(r"^PORTFOLIO_([A-Z]+)_ENVIRONMENT$")
# Containers that are not a service process: the topology declaration and the schema migration.
TOOL_COMMANDS = {"portfolio-topology", "portfolio-migrate", "alembic"}


def _service_of(env: dict[str, str]) -> str | None:
    found = [m.group(1).lower() for name in env if (m := ENVIRONMENT_VAR.match(name))]
    assert len(found) <= 1, f"one service per container, got {found}"
    return found[0] if found else None


def build_settings(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The service's Settings from this environment only (no .env file, nothing from the test run)."""
    for name in list(os.environ):
        if name.startswith("PORTFOLIO_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = importlib.import_module(f"portfolio_{service}.config")
    return config.Settings(_env_file=None)


def _production_containers() -> list[Container]:
    return [c for c in containers(render("overlays/production")) if c.image_name.startswith("portfolio/")]


def _ids() -> list[str]:
    return [c.where for c in _production_containers()]


@pytest.mark.parametrize("container", _production_containers(), ids=_ids())
def test_each_container_of_the_production_overlay_starts(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = render("overlays/production")
    env = environment(container, docs)
    command = (container.spec.get("command") or [""])[0]
    service = _service_of(env)
    if service is None:
        # Not a service process: the topology declaration or the migration, which need their URL only.
        assert command in TOOL_COMMANDS, f"{container.where}: neither a service nor a known tool ({command})"
        if command == "portfolio-topology":
            assert env["PORTFOLIO_BROKER_URL"].startswith("amqp")
        else:
            assert env["PORTFOLIO_DATABASE_URL"].startswith("postgresql"), container.where
        return
    assert env[f"PORTFOLIO_{service.upper()}_ENVIRONMENT"] == "production", container.where
    try:
        settings = build_settings(service, env, monkeypatch)
    except ValidationError as exc:
        pytest.fail(f"{container.where} refuses to start in production:\n{exc}")
    assert settings.environment == "production"
    # The portal keeps no database (it talks to the services' APIs); every other service has one.
    database_url = getattr(settings, "database_url", None)
    assert database_url is not None or service == "portal", container.where
    if database_url is not None:
        assert str(database_url).startswith("postgresql+asyncpg://"), container.where
    # The app is then built from these settings as the process builds it (key rings parsed, storage,
    # bus and engine wired; nothing connects before the lifespan starts).
    app_module = importlib.import_module(f"portfolio_{service}.app")
    app = app_module.create(settings)
    assert app.title


def test_every_deployed_service_is_checked() -> None:
    """The parametrised test above covers each Deployment's main container (found, not listed)."""
    docs = render("overlays/production")
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert deployments
    for container in containers(deployments):
        if container.init or not container.image_name.startswith("portfolio/"):
            continue
        assert _service_of(environment(container, docs)) is not None, container.where


def test_the_check_catches_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test can fail: records without its field keys is refused, as the old manifests were."""
    docs = render("overlays/production")
    records = next(c for c in containers(docs) if c.where == "Deployment/records container records")
    env = environment(records, docs)
    env.pop("PORTFOLIO_RECORDS_FIELD_KEYS")
    with pytest.raises(ValidationError, match="field_keys"):
        build_settings("records", env, monkeypatch)


def test_every_secret_key_the_pods_read_is_documented_with_its_rotation() -> None:
    """deploy/README.md ("Secrets") names every Secret key the production pods read, so an operator
    knows what to create and how to rotate it (found in the render, not listed here)."""
    from k8s import ROOT, secret_refs

    readme = (ROOT / "deploy" / "README.md").read_text()
    table = readme[readme.index("## Secrets") : readme.index("## Upgrade")]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    for secret, key in sorted(secret_refs(render("overlays/production"))):
        service = secret.removeprefix("portfolio-")
        generic = (
            "`portfolio-<service>`"
            if service in {"identity", "records", "artifacts", "submission", "notification"}
            else None
        )
        assert any((f"`{secret}`" in row or (generic and generic in row)) and f"`{key}`" in row for row in rows), (
            f"{secret}/{key} is not in deploy/README.md's Secrets table"
        )
