"""Fixtures of the identity integration tests: the service on a fresh PostgreSQL database and the real RabbitMQ."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from portfolio_identity.app import create
from portfolio_identity.bootstrap import bootstrap
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running

sys.path.insert(0, str(Path(__file__).parents[1]))

from identity_support import settings_for


@pytest_asyncio.fixture
async def pg_url(make_database, request: pytest.FixtureRequest) -> str:  # type: ignore[no-untyped-def]
    name = "identity_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    return str(await make_database(name))


@pytest_asyncio.fixture
async def runtime(pg_url: str, rabbitmq_url: str, topology: Topology) -> AsyncIterator[ServiceRuntime]:
    rt = bootstrap(settings_for(pg_url, rabbitmq_url, topology.prefix))
    yield rt
    await delete_topology(rabbitmq_url, topology, ("identity.test",))


@pytest_asyncio.fixture
async def client(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with running(runtime, create) as c:
        yield c
