"""Fixtures of the submission service's integration tests: real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.app import create
from portfolio_submission.bootstrap import bootstrap
from portfolio_submission.config import Settings

sys.path.insert(0, str(Path(__file__).parent))

from submission_world import World

QUEUES = ("submission.records", "submission.artifacts", "submission.identity")


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter()


@pytest_asyncio.fixture
async def world(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    topology: Topology,
    minter: TokenMinter,
    request: pytest.FixtureRequest,
) -> AsyncIterator[World]:
    name = "sub_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url = await make_database(name)  # type: ignore[misc]
    settings = Settings(environment="test", database_url=url, broker_url=rabbitmq_url, topology_prefix=topology.prefix)
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        yield World(runtime=runtime, client=client, minter=minter)
    await delete_topology(rabbitmq_url, topology, QUEUES)
