"""A relay process the SIGKILL test kills after the broker confirmed and before the row is marked.

Usage: relay_victim.py DATABASE_URL BROKER_URL TOPOLOGY_PREFIX MARKER_FILE
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from toy import outbox

from portfolio_shared.db import make_engine
from portfolio_shared.messaging import OutboxRelay
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology


async def main(db_url: str, broker_url: str, prefix: str, marker: str) -> None:
    engine = make_engine(db_url)
    bus = RabbitBus(broker_url, Topology(prefix=prefix))

    async def hang_after_publish(ids: Sequence[int]) -> None:
        Path(marker).write_text(",".join(map(str, ids)))
        await asyncio.sleep(3600)  # the test kills us here

    relay = OutboxRelay(engine, outbox, bus, on_published=hang_after_publish)
    await relay.run_once()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
