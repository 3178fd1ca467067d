"""Run a service in-process for a test: its own fresh database, migrated, the real broker (or the
in-process one), the app's lifespan (relay and consumers) running, and an HTTP client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

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
