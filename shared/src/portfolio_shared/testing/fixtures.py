"""pytest fixtures on real servers. See :mod:`.servers` for how a server is found."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any

import pytest
import pytest_asyncio

from ..messaging.rabbit import RabbitBus
from ..messaging.topology import Topology
from .servers import free_port, port_open, postgres_ok, try_testcontainer, unavailable

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def run_id() -> str:
    return RUN_ID


# -- PostgreSQL --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A server URL (asyncpg dialect) with rights to create databases."""
    reasons: list[str] = []
    env = os.environ.get("PORTFOLIO_TEST_POSTGRES_URL")
    if env:
        if asyncio.run(postgres_ok(env)):
            yield env
            return
        reasons.append(f"PORTFOLIO_TEST_POSTGRES_URL={env} does not answer")
    local = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    if port_open("127.0.0.1", 5432) and asyncio.run(postgres_ok(local)):
        yield local
        return
    reasons.append("no PostgreSQL on 127.0.0.1:5432")

    def _pg() -> Any:
        from testcontainers.postgres import PostgresContainer

        return PostgresContainer("postgres:16-alpine", driver="asyncpg")

    container = try_testcontainer(_pg, reasons)
    if container is None:
        unavailable("PostgreSQL", reasons)
    try:
        yield container.get_connection_url()
    finally:
        container.stop()


@pytest.fixture(scope="session")
def make_database(postgres_admin_url: str) -> Iterator[Callable[[str], Awaitable[str]]]:
    """Create a fresh database (one per service per test session); dropped at the end."""
    import asyncpg

    created: list[str] = []
    dsn = postgres_admin_url.replace("postgresql+asyncpg://", "postgresql://")

    async def create(name: str) -> str:
        dbname = f"t_{RUN_ID}_{name}".lower()
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            await conn.execute(f'CREATE DATABASE "{dbname}"')
        finally:
            await conn.close()
        created.append(dbname)
        base, _, _ = postgres_admin_url.rpartition("/")
        return f"{base}/{dbname}"

    yield create

    async def drop_all() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            for dbname in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop_all())


# -- RabbitMQ ----------------------------------------------------------------------------------
async def _amqp_ok(url: str) -> bool:
    import aio_pika

    try:
        conn = await asyncio.wait_for(aio_pika.connect(url, timeout=5), 6)
    except Exception:
        return False
    await conn.close()
    return True


TEST_QUEUE_POLICY = "test-queues-expire"
TEST_QUEUE_PATTERN = r"^t\."
TEST_QUEUE_EXPIRES_MS = 1_800_000  # 30 minutes unused: no test runs that long


def expire_test_queues(rabbitmqctl: str = "rabbitmqctl", timeout: float = 60.0) -> bool:
    """Best effort: on the local broker, a policy makes every test queue (``t.<run>.<test>.*``) expire
    after 30 minutes unused, so a run killed before its teardown leaves nothing behind for long (553
    leftover quorum queues once exhausted the shared broker's file descriptors). ``.ci/run`` sets the
    same policy. Returns whether the policy was set; a failure is a warning, never an error."""
    executable = shutil.which(rabbitmqctl)
    if executable is None:
        return False
    definition = json.dumps({"expires": TEST_QUEUE_EXPIRES_MS}, separators=(",", ":"))
    command = [executable, "set_policy", "--apply-to", "queues", TEST_QUEUE_POLICY, TEST_QUEUE_PATTERN, definition]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    except (OSError, subprocess.SubprocessError) as exc:
        warnings.warn(f"could not set the RabbitMQ test-queue expiry policy: {exc}", stacklevel=2)
        return False
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        warnings.warn(f"could not set the RabbitMQ test-queue expiry policy: {detail[0]}", stacklevel=2)
        return False
    return True


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    reasons: list[str] = []
    env = os.environ.get("PORTFOLIO_TEST_RABBITMQ_URL")
    if env:
        if asyncio.run(_amqp_ok(env)):
            yield env
            return
        reasons.append(f"PORTFOLIO_TEST_RABBITMQ_URL={env} does not answer")
    local = "amqp://guest:guest@127.0.0.1:5672/"
    if port_open("127.0.0.1", 5672) and asyncio.run(_amqp_ok(local)):
        expire_test_queues()
        yield local
        return
    reasons.append("no RabbitMQ on 127.0.0.1:5672")

    def _rabbit() -> Any:
        from testcontainers.rabbitmq import RabbitMqContainer

        return RabbitMqContainer("rabbitmq:3.13-management-alpine")

    container = try_testcontainer(_rabbit, reasons)
    if container is None:
        unavailable("RabbitMQ", reasons)
    try:
        params = container.get_connection_params()
        yield f"amqp://guest:guest@{params.host}:{params.port}/"
    finally:
        container.stop()


@pytest.fixture
def topology(run_id: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    """Names unique to this test (a shared broker stays clean between runs and tests). When the test
    also uses the real broker, its exchanges and every platform consumer queue under this prefix are
    deleted afterwards, whether or not the test's own fixtures did (deleting twice is harmless)."""
    test = "".join(ch for ch in request.node.name if ch.isalnum())[:30]
    topology = Topology(prefix=f"t.{run_id}.{test}.", delivery_limit=3, retry_base_seconds=0.05, retry_max_seconds=0.2)
    url: str | None = request.getfixturevalue("rabbitmq_url") if "rabbitmq_url" in request.fixturenames else None
    yield topology
    if url is None:
        return
    try:
        _run_aside(delete_topology(url, topology))
    except Exception as exc:  # cleanup must not turn a passing test red; the expiry policy is the net
        warnings.warn(f"could not delete the test topology {topology.prefix}*: {exc!r}", stacklevel=2)


def _run_aside(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion from synchronous code, even while an event loop runs here."""
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="delete-topology")
    thread.start()
    thread.join(60)
    if errors:
        raise errors[0]


@pytest_asyncio.fixture
async def rabbit_bus(rabbitmq_url: str, topology: Topology) -> AsyncIterator[RabbitBus]:
    bus = RabbitBus(rabbitmq_url, topology)
    yield bus
    await bus.close()
    await delete_topology(rabbitmq_url, topology)


async def delete_topology(url: str, topology: Topology, consumers: tuple[str, ...] = ()) -> None:
    """Delete this test's exchanges and queues: the ``consumers`` named, and every consumer queue of
    the platform, which each service declares at start (events/subscribers.py)."""
    import aio_pika

    from ..events.subscribers import SUBSCRIBERS

    conn = await aio_pika.connect(url)
    try:
        async with conn.channel() as channel:
            for name in (topology.exchange, topology.dead_letter_exchange):
                await channel.exchange_delete(name)
            for consumer in dict.fromkeys((*consumers, *SUBSCRIBERS)):
                await channel.queue_delete(topology.queue(consumer))
                await channel.queue_delete(topology.dead_letter_queue(consumer))
    finally:
        await conn.close()


# -- S3 (moto in server mode) -------------------------------------------------------------------
@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 HTTP endpoint on a free port: $PORTFOLIO_TEST_S3_URL, else moto in server mode."""
    env = os.environ.get("PORTFOLIO_TEST_S3_URL")
    if env:
        yield env
        return
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable("S3 (moto[server])", [f"moto[server] is not installed: {exc}"])
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"s3://testing:testing-secret@127.0.0.1:{port}/{{bucket}}?secure=false&region=us-east-1"
    finally:
        server.stop()


@pytest.fixture
def s3_url(s3_endpoint: str, run_id: str) -> str:
    return s3_endpoint.replace("{bucket}", f"t-{run_id}-{uuid.uuid4().hex[:8]}")


# -- helpers -----------------------------------------------------------------------------------
async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Wait until ``check()`` is true, or fail with a timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await check():
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


class TcpProxy:
    """A TCP proxy that a test can cut or blackhole, to make a server unreachable without stopping it.

    - :meth:`cut`: stop listening and reset every connection (a crashed server, a refused port);
    - :meth:`blackhole`: keep accepting and keep every connection open, but forward nothing either
      way (a silent network drop: packets vanish, no reset, nobody answers);
    - :meth:`restore`: forward again (connections that lived through a blackhole are reset: bytes
      were lost mid-stream, as on a real network a peer would have timed them out).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.accepted = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._blackholed = False

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self._blackholed:
                    continue  # the packet vanishes
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Blackholed: accept, read everything, answer nothing, never close."""
        self._writers.add(writer)
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self._blackholed:
            await self._swallow(reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers.difference_update({writer, up_writer})

    def _abort_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def cut(self) -> None:
        """Stop listening and drop every open connection."""
        self._blackholed = False
        if self._server is not None:
            self._server.close()
            self._server = None
        self._abort_all()

    async def blackhole(self) -> None:
        """From now on forward nothing, on open connections and on new ones, and never answer."""
        self._blackholed = True
        await self.start()

    async def restore(self) -> None:
        if self._blackholed:
            self._blackholed = False
            self._abort_all()
        await self.start()
