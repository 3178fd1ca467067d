"""Operator command for dead letters: list, inspect and replay.

    portfolio-deadletters --broker amqp://... list artifacts.records
    portfolio-deadletters --broker amqp://... show artifacts.records <event-id>
    portfolio-deadletters --broker amqp://... replay artifacts.records [--id <event-id> ...]

``--broker`` defaults to ``$PORTFOLIO_BROKER_URL``; ``--prefix`` to ``$PORTFOLIO_TOPOLOGY_PREFIX``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from . import make_bus
from .topology import Topology


async def _run(args: argparse.Namespace) -> int:
    bus = make_bus(args.broker, Topology(prefix=args.prefix))
    try:
        if args.command == "list":
            letters = await bus.dead_letters(args.consumer, limit=args.limit)
            for dl in letters:
                print(f"{dl.message_id}\t{dl.routing_key}\t{dl.reason}")
            print(f"{len(letters)} dead letter(s) in {args.consumer}", file=sys.stderr)
        elif args.command == "show":
            for dl in await bus.dead_letters(args.consumer, limit=10_000):
                if dl.message_id == args.event_id:
                    print(
                        json.dumps(
                            {
                                "message_id": dl.message_id,
                                "routing_key": dl.routing_key,
                                "reason": dl.reason,
                                "headers": dict(dl.headers),
                                "body": json.loads(dl.body),
                            },
                            indent=2,
                            ensure_ascii=False,
                        )
                    )
                    return 0
            print(f"no dead letter {args.event_id} in {args.consumer}", file=sys.stderr)
            return 1
        elif args.command == "replay":
            ids = set(args.id) if args.id else None
            count = await bus.replay_dead_letters(args.consumer, ids)
            print(f"replayed {count} message(s) to {args.consumer}")
    finally:
        await bus.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="portfolio-deadletters", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--broker", default=os.environ.get("PORTFOLIO_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument("--prefix", default=os.environ.get("PORTFOLIO_TOPOLOGY_PREFIX", ""))
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list a consumer's dead letters")
    p_list.add_argument("consumer")
    p_list.add_argument("--limit", type=int, default=100)
    p_show = sub.add_parser("show", help="print one dead letter in full")
    p_show.add_argument("consumer")
    p_show.add_argument("event_id")
    p_replay = sub.add_parser("replay", help="send dead letters back to the consumer's queue")
    p_replay.add_argument("consumer")
    p_replay.add_argument("--id", action="append", help="replay only this event id (repeatable)")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
