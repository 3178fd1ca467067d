"""Command line of the identity service: `python -m portfolio_identity.cli <command>` or `portfolio-identity`.

Commands: migrate, bootstrap-admin, demo, sync (one SIS export file, R-DUTY-3), nightly-sync (the
night's pull from every school's drop folder: the Kubernetes CronJob), rotate-key,
refresh-acting (re-resolve who acts for each duty today, R-DUTY-2). Settings come from the
environment (PORTFOLIO_IDENTITY_*), as for the service.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from portfolio_shared.nightly import FAILED, PARTIAL
from portfolio_shared.problems import problem_body
from portfolio_shared.service import ServiceRuntime

from .bootstrap import bootstrap
from .config import Settings
from .domain.errors import DomainError
from .service_layer import admin, auth, nightly_sync, sync
from .service_layer.common import Caller
from .service_layer.startup import refresh_all_schools

EXIT_OK, EXIT_FAILED, EXIT_REJECTED_LINES = 0, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portfolio-identity", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the identity database to the newest schema")
    boot = commands.add_parser("bootstrap-admin", help="create the first system administrator")
    boot.add_argument("--login", required=True)
    boot.add_argument("--password", help="default: $PORTFOLIO_IDENTITY_BOOTSTRAP_ADMIN_PASSWORD, else asked")
    commands.add_parser("demo", help="development only: demo district, school and users (passwords printed)")
    run = commands.add_parser("sync", help="import the SIS account export of one school (R-DUTY-3)")
    run.add_argument("--school", required=True, help="six-digit school code")
    run.add_argument("--dry-run", action="store_true", help="report what would change; change nothing")
    run.add_argument(
        "--max-deactivation-share",
        type=float,
        default=None,
        help="refuse when more than this share of accounts would be deactivated",
    )
    run.add_argument("file", type=Path)
    commands.add_parser("rotate-key", help="make a new signing key; the previous one verifies until its tokens expire")
    commands.add_parser("refresh-acting", help="re-resolve who acts for every duty of every school today")
    nightly = commands.add_parser(
        "nightly-sync", help="pull each school's SIS account export of the night from its drop folder (R-DUTY-3)"
    )
    nightly.add_argument("--night", type=date.fromisoformat, help="default: today in the nightly time zone")
    return parser


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


async def _sync(runtime: ServiceRuntime, settings: Settings, args: argparse.Namespace) -> int:
    from .adapters.queries import school_by_code

    data = args.file.read_bytes()
    share = (
        args.max_deactivation_share
        if args.max_deactivation_share is not None
        else (settings.sync_max_deactivation_share)
    )
    async with runtime.uow() as uow:
        school = await school_by_code(uow.session, args.school)
        if school is None:
            print(f"no school with code {args.school}", file=sys.stderr)
            return EXIT_FAILED
        report = await sync.run_sync(
            uow, Caller.system("sis-sync"), school["id"], data, dry_run=args.dry_run, max_deactivation_share=share
        )
        await uow.commit()
    _print(report)
    return EXIT_REJECTED_LINES if report["counts"]["rejected"] else EXIT_OK


async def _nightly(runtime: ServiceRuntime, settings: Settings, args: argparse.Namespace) -> int:
    """What the Kubernetes CronJob runs; each school's night is leased, so it runs once per night
    even beside in-process schedulers. Events stay in the outbox for the service's relay."""
    night = args.night or datetime.now(UTC).astimezone(ZoneInfo(settings.nightly_time_zone)).date()
    results = await nightly_sync.run_night(runtime, settings, night)
    _print({"night": night.isoformat(), "schools": results})
    if FAILED in results.values():
        return EXIT_FAILED
    return EXIT_REJECTED_LINES if PARTIAL in results.values() else EXIT_OK


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    runtime = bootstrap(settings)
    try:
        if args.command == "migrate":
            await runtime.migrate()
            return EXIT_OK
        if args.command == "sync":
            return await _sync(runtime, settings, args)
        if args.command == "nightly-sync":
            return await _nightly(runtime, settings, args)
        if args.command == "refresh-acting":
            _print({"changed": await refresh_all_schools(runtime)})
            return EXIT_OK
        async with runtime.uow() as uow:
            if args.command == "bootstrap-admin":
                password = (
                    args.password
                    or os.environ.get("PORTFOLIO_IDENTITY_BOOTSTRAP_ADMIN_PASSWORD")
                    or (getpass.getpass("password of the first system administrator: "))
                )
                created = await admin.ensure_system_admin(uow, args.login, password)
                _print({"created": created, "login_name": args.login})
            elif args.command == "demo":
                if settings.environment != "development":
                    print("demo data is for the development environment only", file=sys.stderr)
                    return EXIT_FAILED
                demo = await admin.create_demo_data(uow)
                _print({"created": demo is not None, "users": dict(demo or [])})
            elif args.command == "rotate-key":
                _print(await auth.rotate_signing_key(uow, Caller.system("cli"), settings))
            await uow.commit()
        return EXIT_OK
    finally:
        await runtime.bus.close()
        await runtime.engine.dispose()


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args, settings or Settings()))
    except DomainError as error:
        # An operator's terminal: the English title (both titles are in the body).
        _print(problem_body(error, lang="en"))
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
