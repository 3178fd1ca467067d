"""The topology step: declare every consumer queue and binding of the platform before anyone publishes.

Run by each service at start (in the background, retried while the broker is down) and by the
deployment before any service starts (compose service ``topology``, the Kubernetes migration Jobs):

    portfolio-topology declare [--broker amqp://...] [--prefix ...] [--delivery-limit 5]
    portfolio-topology show

``--broker`` defaults to ``$PORTFOLIO_BROKER_URL``, ``--prefix`` to ``$PORTFOLIO_TOPOLOGY_PREFIX``,
``--delivery-limit`` to ``$PORTFOLIO_DELIVERY_LIMIT`` (5, as the services' default).

Declaring is idempotent: a queue that exists with the same arguments is left as it is, with its
messages. Whom to declare comes from :mod:`portfolio_shared.events.subscribers`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping

from ..events.subscribers import all_bindings
from .bus import MessageBus
from .topology import Topology

log = logging.getLogger(__name__)


def _exists_with_other_arguments(exc: BaseException) -> bool:
    # RabbitMQ answers PRECONDITION_FAILED (406) when the queue exists with other arguments, e.g.
    # another delivery limit configured by its own service: it exists, which is what matters here.
    return type(exc).__name__ == "ChannelPreconditionFailed"


async def declare_all(bus: MessageBus, bindings: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """Declare each consumer's queue, dead-letter queue and bindings; return the consumers declared."""
    declared = []
    for consumer, keys in (all_bindings() if bindings is None else bindings).items():
        try:
            await bus.declare(consumer, keys)
        except Exception as exc:
            if not _exists_with_other_arguments(exc):
                raise
            log.warning("topology: queue of %s exists with other arguments; left as it is (%s)", consumer, exc)
        declared.append(consumer)
    return declared


async def declare_until_done(bus: MessageBus, *, service: str = "", max_delay: float = 30.0) -> None:
    """The service-start variant: a broker that is down must not keep the service down, so retry
    in the background; until it succeeds the relay's mandatory publishing keeps events in the outbox."""
    delay = 0.5
    while True:
        try:
            declared = await declare_all(bus)
        except Exception as exc:
            log.warning(
                "topology: cannot declare queues yet (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
            continue
        log.info("topology: %s declared %d consumer queue(s): %s", service, len(declared), ", ".join(declared))
        return


async def _run(args: argparse.Namespace) -> int:
    from . import make_bus

    topology = Topology(prefix=args.prefix, delivery_limit=args.delivery_limit)
    if args.command == "show":
        for consumer, keys in all_bindings().items():
            print(f"{topology.queue(consumer)}\t{' '.join(keys)}")
        return 0
    bus = make_bus(args.broker, topology)
    try:
        declared = await asyncio.wait_for(declare_all(bus), timeout=args.timeout)
    finally:
        await bus.close()
    print(f"declared {len(declared)} consumer queue(s) on {topology.exchange}: {', '.join(declared)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="portfolio-topology", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--broker", default=os.environ.get("PORTFOLIO_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument("--prefix", default=os.environ.get("PORTFOLIO_TOPOLOGY_PREFIX", ""))
    parser.add_argument("--delivery-limit", type=int, default=int(os.environ.get("PORTFOLIO_DELIVERY_LIMIT", "5")))
    parser.add_argument("--timeout", type=float, default=60.0, help="give up (exit non-zero) after this many seconds")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("declare", help="declare every consumer queue and binding (idempotent)")
    sub.add_parser("show", help="print every consumer queue and its routing keys")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
