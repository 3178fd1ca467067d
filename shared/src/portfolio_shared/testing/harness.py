"""Run a service in-process for a test: its own fresh database, migrated, the real broker (or the
in-process one), the app's lifespan (relay and consumers) running, and an HTTP client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from ..messaging.topology import Topology
from ..service import ServiceRuntime


@asynccontextmanager
async def running(
    runtime: ServiceRuntime, create_app: Callable[..., FastAPI], base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """Migrate, start (lifespan), and yield a client; stop everything afterwards."""
    await runtime.migrate()
    app = create_app(runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    await _delete_revocation_queue(runtime)


async def _delete_revocation_queue(runtime: ServiceRuntime) -> None:
    """The chassis adds a ``<service>.revocations`` queue to every service; a test's queues go with it."""
    settings = runtime.settings
    if not settings.broker_url.startswith(("amqp://", "amqps://")) or not settings.topology_prefix:
        return
    import aio_pika

    topology = Topology(prefix=settings.topology_prefix)
    consumer = f"{settings.service_name}.revocations"
    conn = await aio_pika.connect(settings.broker_url)
    try:
        async with conn.channel() as channel:
            await channel.queue_delete(topology.queue(consumer))
            await channel.queue_delete(topology.dead_letter_queue(consumer))
    finally:
        await conn.close()
