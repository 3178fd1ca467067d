"""Issue 14, compose: named images built once, pinned versions (no `latest`), migrations before each
service starts, runtime-only images and a build context without the working tree's clutter."""

from __future__ import annotations

import re
from collections import Counter

import yaml
from k8s import ROOT, containers, overlays, render

TAG = re.compile(r"^[a-z0-9./_-]+:([A-Za-z0-9_.${}:-]+)$")


def _compose() -> dict[str, dict]:  # type: ignore[type-arg]
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def _pinned(image: str) -> bool:
    match = TAG.match(image)
    return bool(match) and match.group(1) != "latest" and not match.group(1).endswith(":-latest}")  # type: ignore[union-attr]


def test_every_image_is_named_and_pinned() -> None:
    services = _compose()
    for name, svc in services.items():
        assert "image" in svc, f"{name}: unnamed image"
        assert _pinned(svc["image"]), f"{name}: {svc['image']} is not pinned"
    for overlay in overlays():
        for container in containers(render(f"overlays/{overlay}")):
            assert _pinned(container.spec["image"]), f"{overlay}: {container.where}: {container.spec['image']}"


def test_each_image_is_built_by_one_service_and_reused_by_its_steps() -> None:
    services = _compose()
    builders = Counter(svc["image"] for svc in services.values() if "build" in svc)
    assert builders and all(n == 1 for n in builders.values()), builders
    for name, svc in services.items():
        if "build" not in svc and svc["image"].startswith("portfolio/"):
            assert svc["image"] in builders, f"{name}: runs an image nobody builds"
            assert svc.get("pull_policy") == "never", f"{name}: would try to pull a local image"


def test_every_service_starts_after_its_migration_and_the_topology() -> None:
    services = _compose()
    migrations = {n: s for n, s in services.items() if s.get("command", [None])[0] == "alembic"}
    assert migrations
    for name, migration in migrations.items():
        service = name.removeprefix("migrate-")
        assert migration["image"] == services[service]["image"]  # the same code migrates and serves
        deps = services[service]["depends_on"]
        assert deps[name]["condition"] == "service_completed_successfully"
        assert deps["topology"]["condition"] == "service_completed_successfully"
        assert migration["depends_on"]["postgres"]["condition"] == "service_healthy"
    artifacts = services["artifacts"]["depends_on"]
    assert artifacts["storage-protect"]["condition"] == "service_completed_successfully"


def test_images_hold_runtime_dependencies_only() -> None:
    for dockerfile in (ROOT / "deploy/Dockerfile", ROOT / "central/Dockerfile"):
        text = dockerfile.read_text()
        assert "--require-hashes -r requirements.lock" in text
        assert "requirements-dev.lock" not in text and "[testing]" not in text and "[dev]" not in text
        assert text.count("FROM ") == 2  # build stage, then a runtime stage that copies the venv only
        assert "USER 10001" in text
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "**/tests", "requirements-dev.lock", "**/__pycache__"} <= ignored
