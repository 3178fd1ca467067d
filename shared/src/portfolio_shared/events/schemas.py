"""JSON Schema snapshots of every contract (``shared/schemas/<routing key>.json``).

``python -m portfolio_shared.events.schemas --write`` regenerates them; the contract test fails
when a contract changed without its snapshot, so a breaking change is visible in review.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import REGISTRY, Envelope

CONTRACTS_PACKAGE = "portfolio_shared.events."
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "schemas"


def current_schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"envelope": Envelope.model_json_schema()}
    for (_etype, _version), cls in sorted(REGISTRY.items()):
        if cls.__module__.startswith(CONTRACTS_PACKAGE):  # not test-only events
            out[cls.routing_key()] = cls.model_json_schema()
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def diff(directory: Path = DEFAULT_DIR) -> list[str]:
    """Names whose snapshot is missing, stale, or has no contract any more."""
    problems: list[str] = []
    current = current_schemas()
    for name, schema in current.items():
        path = directory / f"{name}.json"
        if not path.exists():
            problems.append(f"missing snapshot: {name}")
        elif path.read_text(encoding="utf-8") != render(schema):
            problems.append(f"contract changed without its snapshot: {name}")
    for path in directory.glob("*.json"):
        if path.stem not in current:
            problems.append(f"snapshot without contract: {path.stem}")
    return problems


def write(directory: Path = DEFAULT_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    current = current_schemas()
    for path in directory.glob("*.json"):
        if path.stem not in current:
            path.unlink()
    for name, schema in current.items():
        (directory / f"{name}.json").write_text(render(schema), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the snapshots")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    if args.write:
        write(args.dir)
        return 0
    problems = diff(args.dir)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
