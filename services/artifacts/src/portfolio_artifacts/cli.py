"""Command line of the artifacts service.

    python -m portfolio_artifacts.cli verify [--json] [--concurrency N]
    python -m portfolio_artifacts.cli catalog-check FILE...   (R-FILE-3: validate catalogue data files)

Checks every stored object against the size and SHA-256 recorded at acceptance, prints the missing and
altered files per school and student, records the result and publishes FileIntegrityFailed through
the outbox (the relay of a running service sends it). Exit status 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .bootstrap import bootstrap, make_deps
from .config import Settings
from .domain.catalog_files import load_catalog_file
from .domain.errors import CatalogInvalid
from .service_layer.integrity import IntegrityReport, verify_stored_files


async def run_verify(settings: Settings, concurrency: int | None) -> IntegrityReport:
    runtime = bootstrap(settings)
    try:
        return await verify_stored_files(make_deps(runtime), concurrency=concurrency)
    finally:
        await runtime.engine.dispose()


def _print_text(report: IntegrityReport) -> None:
    print(
        f"checked {report.checked} files: {report.ok} ok, {len(report.missing)} missing, {len(report.altered)} altered"
    )
    for school, students in sorted(report.by_school_and_student().items()):
        print(f"school {school}")
        for student, problems in sorted(students.items()):
            for p in problems:
                print(f"  student {student}: {p['problem']} {p['owner_kind']} {p['owner_id']} file {p['file_id']}")


def _catalog_check(files: list[Path]) -> int:
    """Exit 0 and print each version when every file is valid; else print every problem, exit 2 (R-FILE-3)."""
    status = 0
    for path in files:
        try:
            catalog = load_catalog_file(path)
        except CatalogInvalid as exc:
            status = 2
            print(f"{path}: invalid", file=sys.stderr)
            for problem in getattr(exc, "problems", [exc.detail]):
                print(f"  - {problem}", file=sys.stderr)
            continue
        print(f"{path}: catalogue version {catalog.version}, {len(catalog.categories)} categories")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portfolio-artifacts", description=__doc__.splitlines()[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="verify every stored file against its recorded size and SHA-256")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--concurrency", type=int, default=None)
    check = sub.add_parser("catalog-check", help="validate performance-catalogue JSON files before deploying them")
    check.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "catalog-check":
        return _catalog_check(args.files)
    if args.command == "verify":
        report = asyncio.run(run_verify(Settings(), args.concurrency))
        if args.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_text(report)
        return 1 if report.problems else 0
    return 2  # pragma: no cover - argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
