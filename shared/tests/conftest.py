from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from portfolio_shared.db import make_engine

sys.path.insert(0, str(Path(__file__).parent))

from toy import create_schema


@pytest_asyncio.fixture
async def pg_url(make_database, request: pytest.FixtureRequest) -> str:  # type: ignore[no-untyped-def]
    name = "shared_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    return str(await make_database(name))


@pytest_asyncio.fixture
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(pg_url)
    await create_schema(engine)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'toy.db'}")
    await create_schema(engine)
    yield engine
    await engine.dispose()
