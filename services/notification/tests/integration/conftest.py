"""Fixtures of the notification service's integration tests: real PostgreSQL and RabbitMQ, and a real
SMTP server (aiosmtpd) on a free port."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from portfolio_notification.app import create
from portfolio_notification.bootstrap import bootstrap
from portfolio_notification.config import Settings
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

sys.path.insert(0, str(Path(__file__).parent))

from notification_world import CONSUMERS, World
from smtp_server import SmtpServer


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def test_settings(url: str, rabbitmq_url: str, topology: Topology, smtp: SmtpServer, **kw: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": url,
        "broker_url": rabbitmq_url,
        "topology_prefix": topology.prefix,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "smtp_connections": 4,
        "email_backoff_seconds": 0.05,
        "email_max_attempts": 3,
        "dispatch_poll_seconds": 0.05,
        "run_scheduler": False,  # tests tick the scheduler themselves
    }
    return Settings(**(values | kw))  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def world(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    topology: Topology,
    smtp: SmtpServer,
    minter: TokenMinter,
    request: pytest.FixtureRequest,
) -> AsyncIterator[World]:
    name = "ntf_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url = await make_database(name)  # type: ignore[misc]
    runtime = bootstrap(test_settings(url, rabbitmq_url, topology, smtp), verifier=minter.verifier())
    async with running(runtime, create) as client:
        yield World(runtime=runtime, client=client, minter=minter, smtp=smtp.recorder)
    await delete_topology(rabbitmq_url, topology, CONSUMERS)
