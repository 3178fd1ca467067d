"""kill -9 of the submission service in the middle of building a package and in the middle of
sending it: after a restart the central database (the emulator, its own process) has accepted the
batch EXACTLY ONCE. The service runs as its own OS process (uvicorn) on real PostgreSQL, RabbitMQ
and moto S3; its sending worker starts with the app. The part builder is a worker thread of the
service process, so killing the service kills the builder with it (a half-written multipart upload
is never an object)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from portfolio_central.testing import EmulatorProcess
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.servers import free_port
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.bootstrap import bootstrap
from portfolio_submission.config import Settings
from portfolio_submission.consumers import SUBSCRIPTIONS
from portfolio_submission.packaging.crypto import PackageKeyring

sys.path.insert(0, str(Path(__file__).parent))

from sending_world import SendWorld

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KEY = PackageKeyring.generate("kill")


class ServiceProcess:
    """``uvicorn portfolio_submission.app:create --factory`` in its own process, configured by env."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60) -> None:
        self.starts += 1
        cmd = [sys.executable, "-m", "uvicorn", "portfolio_submission.app:create", "--factory",
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {self.proc.returncode}:\n{self.log.read_text()[-4000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service did not start:\n{self.log.read_text()[-4000:]}")

    def kill9(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, "the service is not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        assert self.proc.returncode == -signal.SIGKILL
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest_asyncio.fixture
async def setup(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    central_emulator: EmulatorProcess,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[SendWorld, ServiceProcess]]:
    name = "sub_kill_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url = await make_database(name)  # type: ignore[misc]
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": url,
        "broker_url": rabbitmq_url,
        "topology_prefix": topology.prefix,
        "storage_url": s3_url,
        "package_key": KEY,
        "central_url": central_emulator.url,
        "central_timeout_seconds": 60,
        "sending_poll_seconds": 0.2,
        "sending_lease_seconds": 2,
        "send_backoff_seconds": 0.5,
        "send_backoff_max_seconds": 1,
    }
    minter = TokenMinter()
    # This process only seeds and observes: no worker, no relay, no consumers here.
    runtime = bootstrap(
        Settings(**values, sending_worker=False, run_relay=False, run_consumers=False), verifier=minter.verifier()
    )
    await runtime.migrate()
    await runtime.start()
    env = {f"PORTFOLIO_SUBMISSION_{k.upper()}": str(v) for k, v in values.items()}
    service = ServiceProcess(env, tmp_path / "service.log")
    world = SendWorld(runtime=runtime, client=None, minter=minter, emulator=central_emulator, sending=None)  # type: ignore[arg-type]
    try:
        yield world, service
    finally:
        service.stop()
        await runtime.stop()
        await delete_topology(rabbitmq_url, topology, tuple(s.consumer for s in SUBSCRIPTIONS))


async def _state(world: SendWorld, batch_id: str) -> str | None:
    try:
        return str((await world.sending_row(batch_id))["state"])
    except Exception:  # no row yet (NoResultFound)
        return None


async def _wait(predicate: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _faults(world: SendWorld) -> dict[str, Any]:
    return world.emulator.admin("GET", "/faults").json()  # type: ignore[no-any-return]


async def _accepted_once(world: SendWorld, service: ServiceProcess, batch_id: str) -> None:
    async def accepted() -> bool:
        return await _state(world, batch_id) == "accepted"

    await _wait(accepted, "the batch to be accepted after the restart", timeout=90)
    assert world.accepted_count() == 1 and len(world.submissions()) == 1
    row = await world.sending_row(batch_id)
    assert row["central_submission_id"] == world.submissions()[0]["submission_id"]
    assert (await world.batch(batch_id))["status"] == "accepted"
    # Exactly one BatchSubmitted in the outbox, whatever the restarts.
    assert len(await world.events("submission.batch.submitted")) == 1


async def test_kill9_in_the_middle_of_building(setup: tuple[SendWorld, ServiceProcess]) -> None:
    world, service = setup
    # Enough bytes in object storage that building takes a while: 40 files of 1 MiB.
    await world.seed_school(students=20, outcomes=2, file_size=1024 * 1024)
    world.open_window()
    batch_id = await world.ready_batch()
    service.start()

    async def building() -> bool:
        return await _state(world, batch_id) == "building"

    await _wait(building, "the package to be in the making")
    service.kill9()
    assert await _state(world, batch_id) == "building" and world.accepted_count() == 0
    row = await world.sending_row(batch_id)
    assert row["package_key"] is None  # nothing recorded from the killed build
    service.start()
    await _accepted_once(world, service, batch_id)
    assert service.starts == 2


async def test_kill9_in_the_middle_of_sending(setup: tuple[SendWorld, ServiceProcess]) -> None:
    world, service = setup
    await world.seed_school(students=2, outcomes=1)
    world.open_window()
    # The emulator holds the next request without answering (the service waits on it).
    assert world.emulator.admin("PUT", "/faults", json={"mode": "hang", "count": 1}).status_code == 200
    batch_id = await world.ready_batch()
    service.start()

    async def held() -> bool:
        return int(_faults(world)["triggered"]) == 1 and await _state(world, batch_id) == "sending"

    await _wait(held, "the package to be on its way")
    service.kill9()
    row = await world.sending_row(batch_id)
    assert row["state"] == "sending" and row["attempts"] == 1 and world.accepted_count() == 0
    service.start()
    await _accepted_once(world, service, batch_id)
    assert (await world.sending_row(batch_id))["idempotency_key"] == row["idempotency_key"]


async def test_kill9_after_the_central_database_kept_it_but_before_the_answer(
    setup: tuple[SendWorld, ServiceProcess],
) -> None:
    world, service = setup
    await world.seed_school(students=2, outcomes=1)
    world.open_window()
    # Processed and kept by the emulator, then the answer is held: the case the key exists for.
    assert world.emulator.admin("PUT", "/faults", json={"mode": "hang", "count": 1, "after": True}).status_code == 200
    batch_id = await world.ready_batch()
    service.start()

    async def kept() -> bool:
        return world.accepted_count() == 1

    await _wait(kept, "the emulator to keep the package")
    service.kill9()
    assert await _state(world, batch_id) == "sending"  # we never heard the answer
    service.start()
    await _accepted_once(world, service, batch_id)  # replayed with the same key, not a second submission


def test_the_service_process_helper_refuses_to_kill_nothing(tmp_path: Path) -> None:
    service = ServiceProcess({}, tmp_path / "x.log")
    with pytest.raises(AssertionError):
        service.kill9()
