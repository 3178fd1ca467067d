"""One shape for every service (issue 10): imports point down, no SQL at the HTTP edge.

Walks the source of every service with ``ast`` (nothing is imported, so a broken module cannot
hide) and fails on:
- an import of another service's package (services talk through events and HTTP only);
- an import pointing up: api → service_layer → domain/adapters; ``domain`` imports none of the
  other layers, ``adapters`` not the service layer or the API, the service layer not the API;
- HTTP below the edge: fastapi/starlette or ``portfolio_shared.problems`` imported by domain,
  service_layer or adapters (they raise ``portfolio_shared.errors`` domain errors);
- SQL in ``api/``: ``.execute(`` calls, SQLAlchemy statement builders, or SQL text in strings.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p for p in (ROOT / "services").iterdir() if (p / "src").is_dir())
LAYERS = ("api", "service_layer", "domain", "adapters")
# What each layer must not import from its own service. Top-level modules (app, bootstrap, cli,
# consumers, jobs, config) compose the layers and may import any of them; only config is below
# every layer (settings are data), so the layers may read it.
FORBIDDEN = {
    "domain": {"api", "service_layer", "adapters", "app", "bootstrap", "cli", "consumers", "jobs"},
    "adapters": {"api", "service_layer", "app", "bootstrap", "cli", "consumers", "jobs"},
    "service_layer": {"api", "app", "bootstrap", "cli", "consumers", "jobs"},
    "api": {"app", "bootstrap", "cli", "consumers", "jobs"},
}
HTTP_MODULES = ("fastapi", "starlette", "portfolio_shared.problems")
# Libraries every service may import: the shared plumbing and contracts, and the central database's
# workbook layouts and rules (portfolio_central: no service, one layout source for writer and emulator).
LIBRARIES = ("portfolio_shared", "portfolio_central")
# Layers that run no SQL themselves: statements live in adapters/ as named query and repository
# functions per aggregate (issue 10, "SQL seam").
SQL_FREE = ("api", "service_layer")
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "union", "union_all", "exists"}
# Upper-case keywords only: prose ("Select the outcomes from the list") is not SQL, and lower-case
# SQL text still needs an ``.execute(`` to run, which is caught on its own.
SQL_TEXT = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s*\()", re.S
)


# Service-layer modules that still run their statements themselves (issue 10, not yet moved into
# adapters/ as named query and repository functions). The list may only shrink: a module not on it
# with SQL fails, and so does a module on it that no longer has any (take it off the list).
SQL_IN_SERVICE_LAYER_TODO = {
    "portfolio_artifacts/service_layer/authority.py",
    "portfolio_artifacts/service_layer/drafts.py",
    "portfolio_artifacts/service_layer/enrolment.py",
    "portfolio_artifacts/service_layer/files.py",
    "portfolio_artifacts/service_layer/history.py",
    "portfolio_artifacts/service_layer/idempotency.py",
    "portfolio_artifacts/service_layer/integrity.py",
    "portfolio_artifacts/service_layer/outcomes.py",
    "portfolio_artifacts/service_layer/performances.py",
    "portfolio_artifacts/service_layer/queries.py",
    "portfolio_artifacts/service_layer/selection.py",
    "portfolio_artifacts/service_layer/state.py",
    "portfolio_artifacts/service_layer/transfers.py",
    "portfolio_artifacts/service_layer/views.py",
    "portfolio_artifacts/service_layer/windows.py",
}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _module_name(package_root: Path, path: Path) -> list[str]:
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _resolve(module: list[str], is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module if is_package else module[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(tree: ast.AST, module: list[str], is_package: bool) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, imported names) for every import, also those inside functions."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            names = [alias.name for alias in node.names]
            found.append((node.lineno, target, names))
            # `from pkg import submodule` imports the submodule: check it as a target too.
            found += [(node.lineno, f"{target}.{name}", []) for name in names]
    return found


def check_module(source: str, package: str, module: list[str], is_package: bool, label: str) -> list[Violation]:
    """Every rule above, for one module of service package ``package`` (e.g. ``portfolio_records``)."""
    tree = ast.parse(source)
    layer = module[1] if len(module) > 1 and module[1] in LAYERS else None
    out: list[Violation] = []
    for line, target, names in _imports(tree, module, is_package):
        head = target.split(".")
        if head[0].startswith("portfolio_") and head[0] not in (package, *LIBRARIES):
            out.append(Violation(label, line, f"imports another service: {target}"))
            continue
        if layer is None:
            continue
        if head[0] == package and len(head) > 1 and head[1] in FORBIDDEN[layer]:
            out.append(Violation(label, line, f"{layer} imports up: {target}"))
        if layer != "api" and any(target == m or target.startswith(m + ".") for m in HTTP_MODULES):
            out.append(Violation(label, line, f"{layer} speaks HTTP: {target}"))
        if layer in SQL_FREE and head[0] == "sqlalchemy" and SQL_BUILDERS.intersection(names):
            builders = sorted(SQL_BUILDERS.intersection(names))
            out.append(Violation(label, line, f"SQL builder in {layer}: {builders}"))
    if layer in SQL_FREE:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("execute", "exec_driver_sql", "scalars", "scalar"):
                    out.append(Violation(label, node.lineno, f"SQL executed in {layer}: .{node.func.attr}(...)"))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.match(node.value):
                out.append(Violation(label, node.lineno, f"SQL text in {layer}"))
    return out


def service_violations(service: Path) -> list[Violation]:
    (package_root,) = [p for p in (service / "src").glob("portfolio_*") if (p / "__init__.py").is_file()]
    out: list[Violation] = []
    for path in sorted(package_root.rglob("*.py")):
        module = _module_name(package_root, path)
        label = str(path.relative_to(ROOT))
        out += check_module(path.read_text("utf-8"), package_root.name, module, path.name == "__init__.py", label)
    return out


def test_every_service_is_walked() -> None:
    assert {s.name for s in SERVICES} >= {"identity", "records", "artifacts", "submission", "notification"}


def _todo(violation: Violation) -> bool:
    return violation.path.split("/src/", 1)[-1] in SQL_IN_SERVICE_LAYER_TODO and " in service_layer" in violation.what


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_imports_point_down_and_api_and_service_layer_have_no_sql(service: Path) -> None:
    violations = [v for v in service_violations(service) if not _todo(v)]
    assert not violations, "\n".join(map(str, violations))


def test_the_sql_todo_list_only_shrinks() -> None:
    still = {v.path.split("/src/", 1)[-1] for service in SERVICES for v in service_violations(service) if _todo(v)}
    cleaned = SQL_IN_SERVICE_LAYER_TODO - still
    assert not cleaned, f"no SQL left in these: take them off SQL_IN_SERVICE_LAYER_TODO: {sorted(cleaned)}"


# The checker itself must be able to fail: each rule on a module written to break it.
@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (["portfolio_x", "domain", "rules"], "from ..service_layer import handlers\n", "domain imports up"),
        (["portfolio_x", "domain", "rules"], "from portfolio_x.adapters.orm import t\n", "domain imports up"),
        (["portfolio_x", "adapters", "orm"], "from ..service_layer.common import utcnow\n", "adapters imports up"),
        (["portfolio_x", "adapters", "orm"], "def f():\n    from portfolio_x.service_layer import a\n", "imports up"),
        (["portfolio_x", "service_layer", "h"], "from portfolio_x.api import deps\n", "service_layer imports up"),
        (["portfolio_x", "service_layer", "h"], "from portfolio_shared.problems import Problem\n", "speaks HTTP"),
        (["portfolio_x", "service_layer", "h"], "from fastapi import HTTPException\n", "speaks HTTP"),
        (["portfolio_x", "api", "routes"], "from portfolio_y.domain import errors\n", "another service"),
        (["portfolio_x", "app"], "import portfolio_y\n", "another service"),
        (["portfolio_x", "api", "routes"], "from sqlalchemy import select\n", "SQL builder"),
        (["portfolio_x", "api", "routes"], "async def f(uow):\n    await uow.session.execute(q)\n", "SQL executed"),
        (["portfolio_x", "api", "routes"], "Q = 'SELECT id FROM students WHERE x = 1'\n", "SQL text"),
        (["portfolio_x", "api", "routes"], "Q = 'DELETE FROM grades'\n", "SQL text"),
        (["portfolio_x", "service_layer", "h"], "from sqlalchemy import insert\n", "SQL builder in service_layer"),
        (["portfolio_x", "service_layer", "h"], "async def f(s):\n    await s.execute(q)\n", "SQL executed"),
        (["portfolio_x", "service_layer", "h"], "async def f(s):\n    return await s.scalar(q)\n", "SQL executed"),
        (["portfolio_x", "service_layer", "h"], "Q = 'UPDATE grades SET score = 1'\n", "SQL text in service_layer"),
    ],
)
def test_the_checker_catches_each_rule(module: list[str], source: str, expected: str) -> None:
    violations = check_module(source, "portfolio_x", module, False, "x.py")
    assert any(expected in v.what for v in violations), violations


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (["portfolio_x", "api", "routes"], "from portfolio_x.service_layer import queries\n"),
        (["portfolio_x", "api", "routes"], "from ..adapters.orm import t\nfrom sqlalchemy import Row\n"),
        (["portfolio_x", "service_layer", "h"], "from ..adapters import queries\nfrom ..domain.errors import E\n"),
        (["portfolio_x", "adapters", "orm"], "from ..domain.errors import E\nfrom ..config import Settings\n"),
        (["portfolio_x", "api", "routes"], "DOC = 'Select the outcomes from the list'\n"),
        (["portfolio_x", "app"], "from .api import routes\nfrom .service_layer import h\n"),
    ],
)
def test_the_checker_allows_what_points_down(module: list[str], source: str) -> None:
    assert check_module(source, "portfolio_x", module, False, "x.py") == []


# -- command dispatch: direct calls, or a table that something really dispatches through ----------
def dispatch_tables(source: str) -> tuple[bool, bool]:
    """(the module defines a top-level HANDLERS table, a top-level ``handle`` looks handlers up in it)."""
    tree = ast.parse(source)
    targets: list[ast.expr] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets += node.targets
        elif isinstance(node, ast.AnnAssign):
            targets.append(node.target)
    table = any(isinstance(t, ast.Name) and t.id == "HANDLERS" for t in targets)
    dispatches = any(
        isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
        and node.name == "handle"
        and any(
            isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and sub.value.id == "HANDLERS"
            for sub in ast.walk(node)
        )
        for node in tree.body
    )
    return table, dispatches


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_a_handler_table_exists_only_where_handle_dispatches_through_it(service: Path) -> None:
    tables = {
        str(path.relative_to(ROOT)): dispatch_tables(path.read_text("utf-8"))
        for path in (service / "src").rglob("*.py")
    }
    decorative = [path for path, (table, dispatches) in tables.items() if table and not dispatches]
    assert decorative == [], f"HANDLERS without a handle() dispatching through it: {decorative}"
    if service.name in ("identity", "records"):  # their convention: routes call the use cases directly
        assert not any(table for table, _ in tables.values())


def test_the_dispatch_check_tells_a_real_table_from_a_decorative_one() -> None:
    real = "HANDLERS = {A: f}\n\nasync def handle(cmd, deps):\n    return await HANDLERS[type(cmd)](cmd, deps)\n"
    assert dispatch_tables(real) == (True, True)
    assert dispatch_tables("HANDLERS: dict = {A: f}\n") == (True, False)
    assert dispatch_tables("async def handle(cmd):\n    return await f(cmd)\n") == (False, False)
