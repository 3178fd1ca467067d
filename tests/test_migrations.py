"""Every service's migrations, applied from nothing, produce exactly the tables its code maps —
on SQLite (standalone) and on PostgreSQL. Migrations are frozen history: a later change to a table
definition needs a new revision, and this test says so."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from portfolio_shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "records", "artifacts", "submission", "notification")


def _compare(conn: Connection, service: str) -> list[Any]:
    metadata = importlib.import_module(f"portfolio_{service}.adapters.orm").metadata
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _differences(sync_url: str, service: str) -> list[Any]:
    engine = create_engine(sync_url)
    try:
        with engine.connect() as conn:
            return _compare(conn, service)
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_code_on_sqlite(service: str, tmp_path: Path) -> None:
    db = tmp_path / f"{service}.db"
    upgrade(ROOT / "services" / service, f"sqlite+aiosqlite:///{db}")
    assert _differences(f"sqlite:///{db}", service) == []


@pytest.mark.integration
@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_code_on_postgresql(service: str, make_database) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    url = await make_database(f"migrations_{service}")
    await asyncio.to_thread(upgrade, ROOT / "services" / service, url)
    # Compared over the services' own driver (asyncpg): no second PostgreSQL driver just for a test.
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_compare, service) == []
    finally:
        await engine.dispose()
