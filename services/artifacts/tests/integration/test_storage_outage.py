"""Storage cut mid-upload: completion decides nothing and answers 503; after the storage is back the
same upload completes ("What went wrong before": nothing lost)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from artifacts_world import World, pdf

from portfolio_artifacts.app import create
from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_shared.testing.fixtures import TcpProxy
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

pytestmark = pytest.mark.integration


async def test_complete_while_storage_is_cut_then_restored(
    make_database: Callable[[str], object], s3_url: str, tmp_path: Path, minter: TokenMinter
) -> None:
    target = urlsplit(s3_url)
    assert target.hostname is not None and target.port is not None
    proxy = TcpProxy(target.hostname, target.port)
    await proxy.start()
    settings = Settings(
        environment="test",
        database_url=str(await make_database("art_storage_outage")),  # type: ignore[misc]
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        storage_url=s3_url.replace(f":{target.port}/", f":{proxy.port}/"),
        verify_interval_seconds=0,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    try:
        async with running(runtime, create) as client:
            world = World(runtime=runtime, client=client, minter=minter)
            await world.open_windows()
            await world.course("phys", ["t1"], ["s1"])
            data = pdf(30_000)
            started = (await world.start_outcome(world.student("s1"), "phys", data)).json()
            assert (await world.put(started["uploads"][0], data)).status_code == 200
            await proxy.cut()
            t0 = time.monotonic()
            url = f"/api/v1/outcomes/{started['outcome_id']}/complete"
            r = await client.post(url, headers=world.student("s1"))
            assert r.status_code == 503 and r.json()["code"] == "storage-unavailable", r.text
            assert time.monotonic() - t0 < 60
            detail = (await client.get(f"/api/v1/outcomes/{started['outcome_id']}", headers=world.student("s1"))).json()
            assert detail["status"] == "draft" and detail["files"][0]["status"] == "pending"  # nothing decided
            await proxy.restore()
            r = await client.post(url, headers=world.student("s1"))
            assert r.status_code == 200 and r.json()["status"] == "submitted"
    finally:
        await proxy.cut()


async def test_complete_while_storage_is_blackholed_fails_fast_then_completes(
    make_database: Callable[[str], object], s3_url: str, tmp_path: Path, minter: TokenMinter
) -> None:
    """A silent network drop (the storage accepts and never answers) must not hang the request nor
    readiness (issue 19): the S3 client's connect and read timeouts come from the storage URL."""
    target = urlsplit(s3_url)
    assert target.hostname is not None and target.port is not None
    proxy = TcpProxy(target.hostname, target.port)
    await proxy.start()
    settings = Settings(
        environment="test",
        database_url=str(await make_database("art_storage_blackhole")),  # type: ignore[misc]
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        storage_url=s3_url.replace(f":{target.port}/", f":{proxy.port}/") + "&connect_timeout=1&read_timeout=1",
        verify_interval_seconds=0,
        readiness_timeout_seconds=2,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    try:
        async with running(runtime, create) as client:
            world = World(runtime=runtime, client=client, minter=minter)
            await world.open_windows()
            await world.course("phys", ["t1"], ["s1"])
            data = pdf(30_000)
            started = (await world.start_outcome(world.student("s1"), "phys", data)).json()
            assert (await world.put(started["uploads"][0], data)).status_code == 200
            await proxy.blackhole()
            url = f"/api/v1/outcomes/{started['outcome_id']}/complete"
            t0 = time.monotonic()
            r = await client.post(url, headers=world.student("s1"))
            assert r.status_code == 503 and r.json()["code"] == "storage-unavailable", r.text
            assert r.headers["retry-after"]
            assert time.monotonic() - t0 < 15  # minio's own default: 5 min per attempt, 6 attempts
            t0 = time.monotonic()
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["storage"] is False
            assert ready.json()["checks"]["database"] is True
            assert time.monotonic() - t0 < 4
            await proxy.restore()
            r = await client.post(url, headers=world.student("s1"))
            assert r.status_code == 200 and r.json()["status"] == "submitted"
    finally:
        await proxy.cut()
