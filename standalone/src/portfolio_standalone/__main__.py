"""Run all five services in one process (the standalone shape).

Each service keeps its own SQLite database file and its own migrations; they talk through one
in-process broker that is durable in its own SQLite file (same semantics as RabbitMQ: topic
routing, outbox, inbox, retries, dead letters); files go to local disk. Nothing to install.

    python -m portfolio_standalone [--host 127.0.0.1] [--port-base 8001] [--data var/standalone]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import importlib
import logging
import os
import secrets
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from portfolio_central.emulator.app import create as create_central_emulator
from portfolio_central.emulator.config import Settings as CentralSettings
from portfolio_identity.service_layer.admin import DEMO_PASSWORD
from portfolio_portal.app import create as create_portal
from portfolio_portal.config import Settings as PortalSettings
from portfolio_shared.messaging.inprocess import InProcessBus
from portfolio_shared.messaging.topology import Topology

from . import demo, home

log = logging.getLogger("portfolio_standalone")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    package: str
    offset: int
    storage: bool = False


SERVICES = (
    ServiceSpec("identity", "portfolio_identity", 0),
    ServiceSpec("records", "portfolio_records", 1),
    ServiceSpec("artifacts", "portfolio_artifacts", 2, storage=True),
    ServiceSpec("submission", "portfolio_submission", 3, storage=True),
    ServiceSpec("notification", "portfolio_notification", 4),
)
# The central-database emulator is not one of the five services (no bus, no token): its own app on
# the next free port, so the submission service has a real HTTP peer in the standalone shape too.
CENTRAL_EMULATOR_OFFSET = len(SERVICES)
# The web portal (students, teachers, staff) on the port after the emulator: the home page's main link.
PORTAL_OFFSET = CENTRAL_EMULATOR_OFFSET + 1


def _secret(data: Path) -> str:
    """A random per-installation secret, kept beside the data (never the well-known default)."""
    path = data / "secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _derive(secret: str, purpose: str) -> str:
    """A 256-bit key for one purpose, base64, from the installation secret."""
    digest = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def build_settings(spec: ServiceSpec, *, data: Path, host: str, port_base: int, secret: str) -> Any:
    config = importlib.import_module(f"{spec.package}.config")
    port = port_base + spec.offset
    identity_url = f"http://{host}:{port_base}"
    values: dict[str, Any] = {
        "environment": "development",
        "database_url": f"sqlite+aiosqlite:///{data / (spec.name + '.db')}",
        "broker_url": f"sqlite+aiosqlite:///{data / 'bus.db'}",
        "jwks_url": f"{identity_url}/.well-known/jwks.json",
        "oauth2_token_url": f"{identity_url}/api/v1/auth/token",
        "signing_secret": secret,
        "public_base_url": f"http://{host}:{port}",
        "storage_url": f"file://{data / 'objects'}",
        "log_json": False,
    }
    fields = config.Settings.model_fields
    # Per-installation keys derived from the installation's secret, never the public development ones.
    if "key_encryption_secret" in fields:
        values["key_encryption_secret"] = _derive(secret, "identity-key-encryption")
    if "field_keys" in fields:
        values["field_keys"] = f"local:{_derive(secret, 'records-field-key')}"
        values["field_current_kid"] = "local"
    if "blind_index_key" in fields:
        values["blind_index_key"] = _derive(secret, "records-blind-index")
    if "contact_keys" in fields:  # addresses at rest (identity: e-mail; notification: e-mail and postal)
        values["contact_keys"] = f"local:{_derive(secret, f'{spec.name}-contact-key')}"
    if "eml_folder" in fields:  # notification: no SMTP here, so .eml files in the data folder
        values["eml_folder"] = str(data / "mail")
    if "nightly_scheduler" in fields:
        # The nightly SIS sync runs in-process (R-DUTY-3): each school's SIS drops its exports in
        # <data>/sis-drop/<school code>/ (accounts-*.csv for identity, grades-*.csv for records).
        values["nightly_scheduler"] = True
        values["sis_drop_url"] = os.environ.get("PORTFOLIO_SIS_DROP_URL", f"file://{data / 'sis-drop'}")
    if "package_key" in fields:
        # submission: packages (national IDs inside) encrypted at rest under an installation key, and
        # sent to the central-database emulator that runs beside the platform.
        values["package_key"] = f"local:{_derive(secret, 'submission-package-key')}"
        values["central_url"] = f"http://{host}:{port_base + CENTRAL_EMULATOR_OFFSET}"
    if "storage_cors_origins" in fields and spec.storage:
        # The portal's upload script PUTs files straight to the local-disk storage routes.
        values["storage_cors_origins"] = portal_origin(host, port_base)
    if "token_cors_origins" in fields:
        # Every service's /docs "Authorize" posts to identity's token URL from its own port.
        values["token_cors_origins"] = ",".join(f"http://{host}:{port_base + s.offset}" for s in SERVICES)
    if "demo_data" in fields:
        # A newcomer can sign in at once: a demo district, school and users (development only).
        values["demo_data"] = _demo_enabled()
    return config.Settings(**values)


def portal_origin(host: str, port_base: int) -> str:
    return f"http://{host}:{port_base + PORTAL_OFFSET}"


def portal_settings(host: str, port_base: int, secret: str) -> PortalSettings:
    """The portal over the five services; plain http on this machine, so cookies are not Secure."""
    url = {spec.name: f"http://{host}:{port_base + spec.offset}" for spec in SERVICES}
    return PortalSettings(
        environment="development",
        session_secret=_derive(secret, "portal-session"),
        cookie_secure=False,
        log_json=False,
        identity_url=url["identity"],
        records_url=url["records"],
        artifacts_url=url["artifacts"],
        submission_url=url["submission"],
        notification_url=url["notification"],
    )


def _demo_enabled() -> bool:
    return os.environ.get("PORTFOLIO_DEMO_DATA", "true").lower() == "true"


async def _demo_school(urls: dict[str, str]) -> None:
    """Course, enrolment, open windows and a certified sample for the demo school (see demo.py).
    A failure is reported, not fatal: the platform itself runs either way."""
    try:
        summary = await demo.seed_demo(urls["identity"], urls["records"], urls["artifacts"])
    except Exception as exc:
        log.warning("the demo school could not be completed: %s", exc)
        print(f"\nThe demo school could not be completed ({exc}); the platform runs without it.", flush=True)
        return
    if summary.done:
        print(
            f"\nDemo school ready for {summary.academic_year}-{summary.semester}: " + "; ".join(summary.done),
            flush=True,
        )


async def serve(host: str, port_base: int, data: Path, *, ready_file: Path | None = None) -> None:
    data.mkdir(parents=True, exist_ok=True)
    secret = _secret(data)
    bus = InProcessBus(f"sqlite+aiosqlite:///{data / 'bus.db'}", Topology())
    await bus.start()
    servers: list[uvicorn.Server] = []
    urls = [(spec.name, f"http://{host}:{port_base + spec.offset}") for spec in SERVICES]
    with_demo = _demo_enabled()
    portal = portal_origin(host, port_base)
    home_html = home.page(urls, data, demo=with_demo, password=DEMO_PASSWORD, portal=portal)
    for spec in SERVICES:
        settings = build_settings(spec, data=data, host=host, port_base=port_base, secret=secret)
        bootstrap = importlib.import_module(f"{spec.package}.bootstrap").bootstrap
        kwargs: dict[str, Any] = {"bus": bus}
        if spec.storage:
            kwargs["with_storage"] = True
        try:
            runtime = bootstrap(settings, **kwargs)
        except TypeError:  # a bootstrap that decides storage itself
            kwargs.pop("with_storage", None)
            runtime = bootstrap(settings, **kwargs)
        await runtime.migrate()
        app = importlib.import_module(f"{spec.package}.app").create(runtime=runtime)
        home.install_home(app, home_html)
        # proxy_headers off: uvicorn would believe X-Forwarded-For from any local peer; the apps
        # honour it only from their configured trusted proxies (ASVS V6).
        config = uvicorn.Config(
            app, host=host, port=port_base + spec.offset, log_level="warning", lifespan="on", proxy_headers=False
        )
        servers.append(uvicorn.Server(config))

    central_port = port_base + CENTRAL_EMULATOR_OFFSET
    central_app = create_central_emulator(CentralSettings(data_dir=data / "central"))
    central_config = uvicorn.Config(
        central_app, host=host, port=central_port, log_level="warning", proxy_headers=False, timeout_graceful_shutdown=2
    )
    servers.append(uvicorn.Server(central_config))
    portal_app = create_portal(portal_settings(host, port_base, secret))
    portal_config = uvicorn.Config(
        portal_app, host=host, port=port_base + PORTAL_OFFSET, log_level="warning", proxy_headers=False
    )
    servers.append(uvicorn.Server(portal_config))
    names = [spec.name for spec in SERVICES] + ["central-emulator", "portal"]
    tasks = [asyncio.create_task(s.serve(), name=f"serve:{name}") for s, name in zip(servers, names, strict=True)]
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):
            for t in tasks:
                if t.done() and t.exception():
                    raise RuntimeError(f"{t.get_name()} failed to start") from t.exception()
            raise RuntimeError("a service stopped during start-up")
        await asyncio.sleep(0.05)

    if with_demo:
        await _demo_school(dict(urls))
    print("\nLearning-portfolio platform (standalone) is running:\n")
    print(f"  portal 入口網站 {portal}   (students, teachers, staff: sign in here)\n")
    for name, base in urls:
        print(f"  {name:<13} {base}   API docs: {base}/docs")
    central = f"http://{host}:{central_port}"
    print(f"\n  central-database emulator {central}   API docs: {central}/docs   (windows: {central}/admin/windows)")
    print(f"\n  data (SQLite, bus, files): {data.resolve()}\n  stop with Ctrl+C\n", flush=True)
    print(home.next_steps(urls[0][1], data, demo=with_demo, password=DEMO_PASSWORD, portal=portal), flush=True)
    if ready_file is not None:
        ready_file.write_text("ready\n")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    await bus.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="portfolio-standalone", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default=os.environ.get("PORTFOLIO_HOST", "127.0.0.1"))
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("PORTFOLIO_PORT_BASE", "8001")))
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("PORTFOLIO_DATA", "var/standalone")))
    parser.add_argument("--ready-file", type=Path, default=None, help="written once every service answers")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the demo set-up's own requests
    try:
        asyncio.run(serve(args.host, args.port_base, args.data, ready_file=args.ready_file))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
