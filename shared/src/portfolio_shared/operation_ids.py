"""Stable, readable OpenAPI operationIds: ``<tag>_<route name>`` (e.g. ``outcomes_certify``).

FastAPI's default id glues the function name, the whole path and the method together
(``certify_api_v1_outcomes__outcome_id__certify_post``): a generated client gets unreadable method
names, and any path change renames the method. The tag + route name is what a reader of /docs sees
and is unchanged by a moved prefix. ``python -m portfolio_shared.operation_ids --write`` refreshes
the per-service snapshot in ``shared/operation_ids/``; a test fails when an id changes without it,
so a client-breaking rename is visible in review.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "operation_ids"
_NOT_WORD = re.compile(r"[^0-9a-zA-Z]+")


def _slug(text: str) -> str:
    return _NOT_WORD.sub("_", text).strip("_").lower()


def operation_id(route: APIRoute) -> str:
    """``generate_unique_id_function`` for every service's FastAPI app (see ``service.create_app``)."""
    tag = route.tags[0] if route.tags else "default"
    tag_name = _slug(str(tag.value if hasattr(tag, "value") else tag))
    return f"{tag_name}_{_slug(route.name)}"


def operation_ids(schema: dict[str, Any]) -> dict[str, str]:
    """``"METHOD /path"`` → operationId, for every operation in an OpenAPI document."""
    out: dict[str, str] = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "operationId" in operation:
                out[f"{method.upper()} {path}"] = operation["operationId"]
    return dict(sorted(out.items()))


def duplicates(ids: dict[str, str]) -> dict[str, list[str]]:
    """operationIds used by more than one operation (a generated client would drop one of them)."""
    seen: dict[str, list[str]] = {}
    for operation, oid in ids.items():
        seen.setdefault(oid, []).append(operation)
    return {oid: ops for oid, ops in seen.items() if len(ops) > 1}


def render(ids: dict[str, str]) -> str:
    return json.dumps(ids, indent=2, sort_keys=True) + "\n"


def diff(current: dict[str, dict[str, str]], directory: Path = DEFAULT_DIR) -> list[str]:
    """Per service: a missing snapshot, an operationId added, changed or removed without it."""
    problems: list[str] = []
    for service, ids in sorted(current.items()):
        path = directory / f"{service}.json"
        if not path.exists():
            problems.append(f"missing snapshot: {service}")
            continue
        recorded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        for operation in sorted(recorded.keys() | ids.keys()):
            before, now = recorded.get(operation), ids.get(operation)
            if before != now:
                problems.append(f"{service}: {operation}: {before!r} -> {now!r}")
    return problems


def write(current: dict[str, dict[str, str]], directory: Path = DEFAULT_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for service, ids in current.items():
        (directory / f"{service}.json").write_text(render(ids), encoding="utf-8")


def main(argv: list[str] | None = None, *, load: Callable[[], dict[str, dict[str, str]]] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the snapshots")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    from .testing.apps import all_operation_ids

    current = (load or all_operation_ids)()
    if args.write:
        write(current, args.dir)
        return 0
    problems = diff(current, args.dir)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
