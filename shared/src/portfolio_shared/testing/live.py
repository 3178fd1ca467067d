"""Serve an app with the real HTTP server (uvicorn) on a free port, for tests that need what only a
server does: keep-alive connections, what happens to them after an error, real timeouts.

``httpx.ASGITransport`` calls the app directly: it cannot show that a server closed a connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from .servers import free_port


@asynccontextmanager
async def serving(app: FastAPI, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run ``app`` (lifespan included) under uvicorn in this event loop; yield its base URL.

    ``log_config=None``: uvicorn's own loggers propagate to the root logger, so a test's ``caplog``
    sees "Exception in ASGI application" if an error ever escapes the app.
    """
    config = uvicorn.Config(app, host=host, port=free_port(), lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped during start-up")
            await asyncio.sleep(0.02)
        yield f"http://{host}:{config.port}"
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)


def client_port(response: httpx.Response) -> int:
    """The local port of the connection that carried ``response``: the same port on two responses
    means one keep-alive connection carried both. -1 when the connection is closed already."""
    stream = response.extensions["network_stream"]
    try:
        return int(stream.get_extra_info("client_addr")[1])
    except OSError:  # the server closed it
        return -1


def one_connection_client(base_url: str, timeout: float = 60.0) -> httpx.AsyncClient:
    """A client that can hold at most one connection, so every request reuses it while it lives."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )
