"""Command line of the artifacts service.

    python -m portfolio_artifacts.cli verify [--json] [--concurrency N]
    python -m portfolio_artifacts.cli catalog-check FILE...   (R-FILE-3: validate catalogue data files)
    python -m portfolio_artifacts.cli restore [--from-backup S3_URL] [--dry-run] [--json]
    python -m portfolio_artifacts.cli storage protect --retention-days N [--compliance] | storage check

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
from .service_layer.restore import RestoreReport, restore_stored_files


async def run_verify(settings: Settings, concurrency: int | None) -> IntegrityReport:
    runtime = bootstrap(settings)
    try:
        return await verify_stored_files(make_deps(runtime), concurrency=concurrency)
    finally:
        await runtime.engine.dispose()


async def run_restore(settings: Settings, backup_url: str | None, dry_run: bool) -> RestoreReport:
    from portfolio_shared.storage.s3 import S3Storage

    runtime = bootstrap(settings)
    try:
        backup = S3Storage.from_url(backup_url) if backup_url else None
        return await restore_stored_files(make_deps(runtime), backup=backup, dry_run=dry_run)
    finally:
        await runtime.engine.dispose()


async def run_storage(settings: Settings, action: str, retention_days: int, compliance: bool) -> int:
    """``protect``: versioning on, default retention on an object-lock bucket; ``check``: exit 1 unless
    versioning is on (production keeps every version: the restore depends on it)."""
    from portfolio_shared.storage.recovery import protect, protection
    from portfolio_shared.storage.s3 import S3Storage

    if not settings.storage_url.startswith("s3://"):
        print("storage protect/check need S3 object storage (PORTFOLIO_ARTIFACTS_STORAGE_URL=s3://...)")
        return 2
    storage = S3Storage.from_url(settings.storage_url)
    if action == "protect":
        await storage.ensure_bucket()  # compose: before artifacts first starts (the tenant creates it in production)
    state = await (
        protect(storage, retention_days=retention_days, compliance=compliance)
        if action == "protect"
        else protection(storage)
    )
    lock = f"object lock {state.retention_mode} {state.retention_days} days" if state.object_lock else "no object lock"
    print(f"bucket {storage.bucket}: versioning {state.versioning}, {lock}")
    return 0 if state.versioned else 1


def _print_restore(report: RestoreReport) -> None:
    print(f"found {len(report.before.problems)} missing or altered files")
    for r in report.restored:
        print(f"  restored {r.object_key} (was {r.problem}) from the {r.source}")
    for p in report.unrecoverable:
        print(f"  NOT restored {p.object_key} ({p.problem}): no copy with the recorded SHA-256")
    if report.after is not None:
        after = report.after
        missing, altered = len(after.missing), len(after.altered)
        print(f"after: checked {after.checked} files: {after.ok} ok, {missing} missing, {altered} altered")


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
    restore = sub.add_parser("restore", help="put missing or altered files back from their versions or a backup bucket")
    restore.add_argument("--from-backup", default=None, metavar="S3_URL", help="the backup bucket (s3://...)")
    restore.add_argument("--dry-run", action="store_true", help="report what would be restored, change nothing")
    restore.add_argument("--json", action="store_true", help="print the report as JSON")
    storage = sub.add_parser("storage", help="bucket protection: versioning and object-lock retention")
    storage.add_argument("action", choices=["protect", "check"])
    storage.add_argument("--retention-days", type=int, default=400)
    storage.add_argument("--compliance", action="store_true", help="COMPLIANCE mode (cannot be shortened)")
    check = sub.add_parser("catalog-check", help="validate performance-catalogue JSON files before deploying them")
    check.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "catalog-check":
        return _catalog_check(args.files)
    if args.command == "restore":
        outcome = asyncio.run(run_restore(Settings(), args.from_backup, args.dry_run))
        if args.json:
            print(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_restore(outcome)
        if args.dry_run:
            return 1 if outcome.unrecoverable else 0
        return 0 if outcome.after is not None and not outcome.after.problems else 1
    if args.command == "storage":
        return asyncio.run(run_storage(Settings(), args.action, args.retention_days, args.compliance))
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
