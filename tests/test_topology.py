"""The platform's list of consumer queues (events/subscribers.py) is what the services really consume.

Every service declares that list's queues at start and the deployment declares them before any
service (issue 19: an event published before its consumer's queue exists is lost). A consumer
missing from the list would get that loss back; a binding no handler wants would pile up messages.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
from pathlib import Path

import aio_pika
import pytest

from portfolio_shared.events.subscribers import SUBSCRIBERS, all_bindings, routing_keys, subscribed_keys
from portfolio_shared.messaging.declare import main as topology_cli
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import delete_topology

SERVICES = ("identity", "records", "artifacts", "submission", "notification")


def _service_bindings(tmp: Path) -> dict[str, tuple[str, ...]]:
    """What each service's runtime really subscribes: its consumers.py plus what the chassis adds."""
    found: dict[str, tuple[str, ...]] = {}
    for service in SERVICES:
        settings = importlib.import_module(f"portfolio_{service}.config").Settings(
            environment="test",
            database_url=f"sqlite+aiosqlite:///{tmp / service}.db",
            broker_url=f"sqlite+aiosqlite:///{tmp / 'bus.db'}",
            storage_url=f"file://{tmp / 'objects'}",
        )
        runtime = importlib.import_module(f"portfolio_{service}.bootstrap").bootstrap(settings)
        for subs in runtime.subscriptions:
            assert subs.consumer.startswith(f"{service}."), f"{subs.consumer}: a queue is named after its consumer"
            assert subs.consumer not in found, f"{subs.consumer} is declared twice"
            found[subs.consumer] = subs.routing_keys
    return found


def test_every_consumer_of_every_service_is_in_the_platform_list_with_the_same_bindings(tmp_path: Path) -> None:
    assert _service_bindings(tmp_path) == all_bindings()


def test_every_listed_event_is_a_contract_and_no_queue_is_empty() -> None:
    for consumer, payloads in SUBSCRIBERS.items():
        assert payloads, consumer
        assert len(routing_keys(consumer)) == len(set(routing_keys(consumer))) == len(payloads)
    assert "identity.school.created.v1" in subscribed_keys()  # the event lost in the demo (issue 19)


def test_topology_cli_shows_every_queue(capsys: pytest.CaptureFixture[str]) -> None:
    assert topology_cli(["--prefix", "demo.", "show"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [f"demo.{c}" for c in SUBSCRIBERS]


@pytest.mark.integration
async def test_the_deployment_step_declares_every_queue_on_the_real_broker(
    rabbitmq_url: str, topology: Topology
) -> None:
    """What compose's `topology` service and the Kubernetes migration Jobs run before any service."""
    env = {**os.environ, "PORTFOLIO_BROKER_URL": rabbitmq_url, "PORTFOLIO_TOPOLOGY_PREFIX": topology.prefix}
    command = [sys.executable, "-m", "portfolio_shared.messaging.declare", "declare"]
    try:
        for _ in range(2):  # idempotent: a second run (the next deployment) changes nothing
            done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            assert f"declared {len(SUBSCRIBERS)} consumer queue(s)" in done.stdout
        conn = await aio_pika.connect(rabbitmq_url)
        async with conn, conn.channel() as channel:
            for consumer in SUBSCRIBERS:
                queue = await channel.declare_queue(topology.queue(consumer), passive=True)
                assert queue.declaration_result.message_count == 0
                await channel.declare_queue(topology.dead_letter_queue(consumer), passive=True)
    finally:
        await delete_topology(rabbitmq_url, topology)
