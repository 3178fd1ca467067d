"""Fixtures of the year tests: the platform as processes (see processes.py) and the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from portfolio_central.testing import EmulatorProcess
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import TcpProxy, delete_topology
from portfolio_submission.packaging.crypto import PackageKeyring

from .mail import SmtpGate
from .processes import SERVICES, Platform, start_platform, via_port

CONSUMERS = tuple(f"{name}.revocations" for name in SERVICES)  # the chassis adds one per service


@pytest_asyncio.fixture
async def platform(
    make_database: Callable[[str], Awaitable[str]],
    postgres_admin_url: str,
    smtp: SmtpGate,
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    central_emulator: EmulatorProcess,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Platform]:
    tag = "".join(ch for ch in request.node.name if ch.isalnum())[-20:].lower()
    # The fault test routes records' broker connection through a proxy it can cut (the shared
    # RabbitMQ itself is never stopped).
    proxy = TcpProxy(*rabbitmq_endpoint(rabbitmq_url))
    await proxy.start()
    # ... and artifacts' database connection through another (PostgreSQL itself is never stopped).
    db_server = urlsplit(postgres_admin_url)
    db_proxy = TcpProxy(db_server.hostname or "127.0.0.1", db_server.port or 5432)
    await db_proxy.start()
    started = await start_platform(
        make_database=make_database,
        broker_url=rabbitmq_url,
        prefix=topology.prefix,
        s3_url=s3_url,
        central_url=central_emulator.url,
        data=tmp_path,
        package_key=PackageKeyring.generate("year"),
        tag=tag,
        broker_urls={"records": via_port(rabbitmq_url, proxy.port)},
        database_ports={"artifacts": db_proxy.port},
        extra={
            "notification": {
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_security": "none",
                "email_claim_seconds": 5,
            }
        },
    )
    started.broker_proxy, started.database_proxy = proxy, db_proxy
    try:
        yield started
    finally:
        started.stop()
        await proxy.cut()
        await db_proxy.cut()
        await delete_topology(rabbitmq_url, topology, CONSUMERS)


def rabbitmq_endpoint(url: str) -> tuple[str, int]:
    parsed = urlsplit(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 5672


@pytest.fixture
def smtp() -> Iterator[SmtpGate]:
    gate = SmtpGate()
    gate.start()
    try:
        yield gate
    finally:
        gate.release.set()
        gate.stop()
