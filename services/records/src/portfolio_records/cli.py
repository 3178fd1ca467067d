"""Command line of the records service: `python -m portfolio_records.cli <command>`.

`nightly-sync [--night YYYY-MM-DD]` runs the night's SIS grade import for every school (R-DUTY-3):
what the Kubernetes CronJob runs. Each school's night is leased in the database, so a CronJob
beside in-process schedulers, or two overlapping CronJob pods, still import each night once.
Exit 0 when every school succeeded, 3 when lines were rejected somewhere, 2 when a school failed.

`retention-purge [--night YYYY-MM-DD]` requests the deletion of every graduate past the school's
archive period, for the schools that switched the purge on (R-RET-1), once per school and night.

`check-identifiers [--fail-on-findings]` (R-DATA-1, after a migration) and `rotate-keys` (field
keys) are here, not in the service layer, because only this edge builds a runtime (bootstrap): the
service layer never imports upward (issue 10).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from portfolio_shared.nightly import FAILED, PARTIAL
from portfolio_shared.service import ServiceRuntime

from .bootstrap import bootstrap
from .config import Settings
from .domain.calendar import school_zone
from .service_layer.identifier_check import check_identifiers
from .service_layer.nightly_sync import replica_name, run_night
from .service_layer.retention import run_purge_night
from .service_layer.rotation import rotate_keys
from .service_layer.security import RecordsCrypto

EXIT_OK, EXIT_FAILED, EXIT_REJECTED_LINES = 0, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portfolio-records", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the records database to the newest schema")
    nightly = commands.add_parser("nightly-sync", help="import each school's SIS grade export of the night")
    nightly.add_argument("--night", type=date.fromisoformat, help="default: today in the school time zone")
    checks = commands.add_parser("check-identifiers", help="re-validate every stored identifier (R-DATA-1)")
    checks.add_argument("--fail-on-findings", action="store_true", help="exit with status 1 when a value fails")
    checks.add_argument("--batch", type=int, default=500)
    commands.add_parser("rotate-keys", help="re-encrypt every field not yet under the current key")
    purge = commands.add_parser("retention-purge", help="request the deletion of graduates past the archive period")
    purge.add_argument("--night", type=date.fromisoformat, help="default: today in the school time zone")
    return parser


async def check_identifiers_command(
    argv: Sequence[str] | None = None, *, settings: Any = None, runtime: ServiceRuntime | None = None
) -> int:
    """Print the JSON report; exit 1 on findings only with ``--fail-on-findings``."""
    args = _parser().parse_args(["check-identifiers", *(argv or [])])
    settings = settings or Settings()
    own = runtime is None
    runtime = runtime or bootstrap(settings)
    try:
        report = await check_identifiers(runtime, RecordsCrypto.from_settings(settings), batch=args.batch)
    finally:
        if own:
            await runtime.engine.dispose()
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    return 1 if args.fail_on_findings and report.findings else 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    runtime = bootstrap(settings)
    try:
        if args.command == "migrate":
            await runtime.migrate()
            return EXIT_OK
        night = args.night or datetime.now(UTC).astimezone(school_zone(settings.nightly_time_zone)).date()
        if args.command == "retention-purge":  # R-RET-1, schools that switched the purge on
            purged = await run_purge_night(runtime, settings, night, replica_name())
            print(json.dumps({"night": night.isoformat(), "schools": purged}, ensure_ascii=False))
            return EXIT_FAILED if FAILED in purged.values() else EXIT_OK
        # Events stay in the outbox, committed with the import; the service's relay publishes them.
        results = await run_night(runtime, settings, night)
        print(json.dumps({"night": night.isoformat(), "schools": results}, ensure_ascii=False))
        if FAILED in results.values():
            return EXIT_FAILED
        return EXIT_REJECTED_LINES if PARTIAL in results.values() else EXIT_OK
    finally:
        await runtime.bus.close()
        await runtime.engine.dispose()


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check-identifiers":
        return asyncio.run(
            check_identifiers_command(sys.argv[2:] if argv is None else list(argv)[1:], settings=settings)
        )
    if args.command == "rotate-keys":
        return asyncio.run(_rotate(settings or Settings()))
    return asyncio.run(_run(args, settings or Settings()))


async def _rotate(settings: Settings) -> int:
    runtime = bootstrap(settings)
    try:
        print(await rotate_keys(runtime, RecordsCrypto.from_settings(settings)))
    finally:
        await runtime.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
