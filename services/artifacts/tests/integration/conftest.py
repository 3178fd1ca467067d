"""Fixtures of the artifacts service's integration tests: real PostgreSQL, RabbitMQ and S3 (moto server)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from portfolio_artifacts.app import create
from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

sys.path.insert(0, str(Path(__file__).parent))

from artifacts_world import World


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter()


@pytest_asyncio.fixture
async def world(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    minter: TokenMinter,
    request: pytest.FixtureRequest,
) -> AsyncIterator[World]:
    name = "art_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url = await make_database(name)  # type: ignore[misc]
    settings = Settings(
        environment="test",
        database_url=url,
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        storage_url=s3_url,
        verify_interval_seconds=0,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        yield World(runtime=runtime, client=client, minter=minter)
    await delete_topology(rabbitmq_url, topology, ("artifacts.records", "artifacts.identity"))
