"""Finding real servers for integration tests: a URL from the environment, else the local server,
else testcontainers (a laptop with Docker). Outside CI a missing server skips with a reason; with
``CI=true`` it fails the run, so CI can never pass by skipping."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from contextlib import closing
from typing import Any, NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str, reasons: list[str]) -> NoReturn:
    message = f"{what} is not reachable: " + "; ".join(reasons)
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing server fails the run)", pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def try_testcontainer(factory: Callable[[], Any], reasons: list[str]) -> Any | None:
    try:
        container = factory()
        container.start()
        return container
    except Exception as exc:  # no Docker engine here: record why and fall through
        reasons.append(f"testcontainers could not start a container ({type(exc).__name__})")
        return None


async def postgres_ok(url: str) -> bool:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://")), 5)
    except Exception:
        return False
    await conn.close()
    return True
