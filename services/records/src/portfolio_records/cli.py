"""Command line of the records service: `python -m portfolio_records.cli <command>`.

`nightly-sync [--night YYYY-MM-DD]` runs the night's SIS grade import for every school (R-DUTY-3):
what the Kubernetes CronJob runs. Each school's night is leased in the database, so a CronJob
beside in-process schedulers, or two overlapping CronJob pods, still import each night once.
Exit 0 when every school succeeded, 3 when lines were rejected somewhere, 2 when a school failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

from portfolio_shared.nightly import FAILED, PARTIAL

from .bootstrap import bootstrap
from .config import Settings
from .domain.calendar import school_zone
from .service_layer.nightly_sync import run_night

EXIT_OK, EXIT_FAILED, EXIT_REJECTED_LINES = 0, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portfolio-records", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the records database to the newest schema")
    nightly = commands.add_parser("nightly-sync", help="import each school's SIS grade export of the night")
    nightly.add_argument("--night", type=date.fromisoformat, help="default: today in the school time zone")
    return parser


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    runtime = bootstrap(settings)
    try:
        if args.command == "migrate":
            await runtime.migrate()
            return EXIT_OK
        night = args.night or datetime.now(UTC).astimezone(school_zone(settings.nightly_time_zone)).date()
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
    return asyncio.run(_run(args, settings or Settings()))


if __name__ == "__main__":
    sys.exit(main())
