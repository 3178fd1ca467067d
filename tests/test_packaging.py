"""Packaging: each package declares what it imports, the locks hold exactly the declared closure
(no orphans), runtime and development pins are apart, and the images install runtime pins only."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [
    "shared",
    "services/identity",
    "services/records",
    "services/artifacts",
    "services/submission",
    "services/notification",
    "services/portal",
    "central",
    "standalone",
]
# Modules that only tests import (portfolio_shared.testing, portfolio_central.testing): they may also
# use their package's `testing` extra, which the images do not install.
TESTING_MODULE = re.compile(r"^[a-z_]+/testing(/|\.py$)")
DEV_TOOLS = {"pytest", "pytest-asyncio", "ruff", "mypy", "moto", "schemathesis", "testcontainers", "hypothesis"}
# FastAPI parses form and file bodies with python-multipart, which is imported by FastAPI, not by us.
FORM_NAMES = {"Form", "File", "UploadFile", "OAuth2PasswordRequestForm"}


def _imports(source: str) -> set[str]:
    """Top-level names of the absolute imports in a module, plus python-multipart for form routes."""
    tree = ast.parse(source)
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
            if node.module.startswith("fastapi") and {a.name for a in node.names} & FORM_NAMES:
                out.add("multipart")
    return out


def _declared(pyproject: Path, extras: tuple[str, ...] = ()) -> set[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    names = {canonicalize_name(Requirement(r).name) for r in project.get("dependencies", [])}
    for extra in extras:
        names |= {canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"][extra]}
    return names


def undeclared(package_dir: Path) -> list[str]:
    """``module: import -> distribution`` for each import no declared dependency provides."""
    pyproject = package_dir / "pyproject.toml"
    distributions = metadata.packages_distributions()
    extras = tomllib.loads(pyproject.read_text())["project"].get("optional-dependencies", {})
    runtime = _declared(pyproject)
    testing = _declared(pyproject, ("testing",)) if "testing" in extras else runtime
    own = {p.name for p in (package_dir / "src").iterdir() if p.is_dir()}
    problems: list[str] = []
    for module in sorted((package_dir / "src").rglob("*.py")):
        relative = module.relative_to(package_dir / "src").as_posix()
        allowed = testing if TESTING_MODULE.match(relative) else runtime
        for name in sorted(_imports(module.read_text(encoding="utf-8"))):
            if name in sys.stdlib_module_names or name in own or name == "__future__":
                continue
            dists = {canonicalize_name(d) for d in distributions.get(name, [])}
            if name.startswith("portfolio_"):
                dists = {canonicalize_name(name)}
            if not dists & allowed:
                problems.append(f"{relative}: {name} -> {sorted(dists) or 'not installed'}")
    return problems


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_declares_what_it_imports(package: str) -> None:
    assert undeclared(ROOT / package) == []


def test_the_import_check_notices_an_undeclared_import_and_a_form_route(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "src" / "toy").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text('[project]\nname = "toy"\ndependencies = ["fastapi>=0.115"]\n')
    (pkg / "src" / "toy" / "api.py").write_text(
        "import json\nimport yaml\nfrom fastapi import UploadFile\nfrom . import api\nfrom toy import api as again\n"
    )
    assert undeclared(pkg) == ["toy/api.py: multipart -> ['python-multipart']", "toy/api.py: yaml -> ['pyyaml']"]
    (pkg / "pyproject.toml").write_text(
        '[project]\nname = "toy"\ndependencies = ["fastapi>=0.115", "python-multipart", "PyYAML"]\n'
    )
    assert undeclared(pkg) == []


def _lock(path: Path) -> dict[str, str]:
    """canonical name -> version; every pin must carry a sha256 hash."""
    text = path.read_text()
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=\S)", text.strip()):
        if block.startswith("#"):
            continue
        head = block.split()[0]
        name, _, version = head.partition("==")
        assert version, f"{path.name}: {head} is not pinned"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), f"{path.name}: {head} has no hash"
        pins[canonicalize_name(name)] = version
    return pins


def _closure(requirements: list[str]) -> set[str]:
    """The installed distributions these requirements pull in (markers evaluated here)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        for extra in req.extras or {""}:
            key = f"{name}[{extra}]"
            if key in seen:
                continue
            seen.add(key)
            for sub in metadata.requires(name) or []:
                parsed = Requirement(sub)
                if parsed.marker is None or parsed.marker.evaluate({**default_environment(), "extra": extra}):
                    todo.append(parsed)
    return {key.split("[")[0] for key in seen}


def _project_requirements(extras: tuple[str, ...] = ()) -> list[str]:
    reqs: list[str] = []
    for package in PACKAGES:
        project = tomllib.loads((ROOT / package / "pyproject.toml").read_text())["project"]
        reqs += project.get("dependencies", [])
        for extra in extras:
            reqs += project.get("optional-dependencies", {}).get(extra, [])
    return reqs


def test_locks_hold_exactly_the_declared_closure_no_orphans() -> None:
    runtime_lock, dev_lock = _lock(ROOT / "requirements.lock"), _lock(ROOT / "requirements-dev.lock")
    ours = {canonicalize_name(f"portfolio-{Path(p).name}") for p in PACKAGES}
    runtime = _closure(_project_requirements()) - ours
    everything = _closure(_project_requirements(("testing", "dev"))) - ours
    assert set(runtime_lock) == runtime, (
        f"orphans: {sorted(set(runtime_lock) - runtime)}; missing: {sorted(runtime - set(runtime_lock))}"
    )
    assert set(dev_lock) == everything - runtime, (
        f"orphans: {sorted(set(dev_lock) - (everything - runtime))}; "
        f"missing: {sorted((everything - runtime) - set(dev_lock))}"
    )
    assert not set(runtime_lock) & set(dev_lock)


def test_runtime_lock_holds_no_test_tooling_and_dev_lock_holds_it() -> None:
    runtime_lock, dev_lock = _lock(ROOT / "requirements.lock"), _lock(ROOT / "requirements-dev.lock")
    assert not DEV_TOOLS & set(runtime_lock)
    assert DEV_TOOLS <= set(dev_lock)


@pytest.mark.parametrize("dockerfile", ["deploy/Dockerfile", "central/Dockerfile", "services/portal/Dockerfile"])
def test_images_install_the_runtime_lock_only_with_hashes(dockerfile: str) -> None:
    """The production image holds no test tooling: every pip install in it reads requirements.lock
    with --require-hashes, or installs the project's own packages with --no-deps."""
    runs = [
        line
        for line in re.sub(r"\\\n", " ", (ROOT / dockerfile).read_text()).splitlines()
        if line.startswith("RUN") and "pip install" in line
    ]
    assert runs
    for line in runs:
        installs = line.split("pip install", 1)[1]
        files = re.findall(r"-r\s+(\S+)", installs)
        if files:
            assert files == ["requirements.lock"], line
            assert "--require-hashes" in installs, line
        else:
            assert "--no-deps" in installs, line
        assert "dev" not in installs and "[" not in installs, line
