"""Fixtures of the year tests: the platform as processes (see platform.py) and the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from portfolio_central.testing import EmulatorProcess
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_submission.packaging.crypto import PackageKeyring

from .platform import SERVICES, Platform, start_platform

CONSUMERS = tuple(f"{name}.revocations" for name in SERVICES)  # the chassis adds one per service


@pytest_asyncio.fixture
async def platform(
    make_database: Callable[[str], Awaitable[str]],
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    central_emulator: EmulatorProcess,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Platform]:
    tag = "".join(ch for ch in request.node.name if ch.isalnum())[-20:].lower()
    started = await start_platform(
        make_database=make_database,
        broker_url=rabbitmq_url,
        prefix=topology.prefix,
        s3_url=s3_url,
        central_url=central_emulator.url,
        data=tmp_path,
        package_key=PackageKeyring.generate("year"),
        tag=tag,
    )
    try:
        yield started
    finally:
        started.stop()
        await delete_topology(rabbitmq_url, topology, CONSUMERS)
