"""Outbox → broker → inbox handler, on the real PostgreSQL and RabbitMQ, against raw aio-pika.

As in production, the consumer is another process (another service) with its own connection
pool; the producers and the outbox relay share the bench process (the producing service).

- Throughput: ``--producers`` tasks commit ``--events`` events as fast as they can (one
  transaction each: a state row + its outbox row); the relay publishes with confirms; the consumer
  handles each inside its inbox transaction (inbox row + an effect row). Baseline: the same number
  of messages published by the same number of tasks with raw aio-pika publisher confirms, consumed
  with manual acks by a raw aio-pika consumer process.
- Latency: a steady ``--rate`` events/s for ``--seconds``; commit-to-handled (ours) and
  publish-to-consumed (raw), p50/p99 (wall clock; both processes on this machine).

    .venv/bin/python bench/outbox_pipeline.py --curve 1000,10000 --rate 200 --seconds 10

Targets (issue 15): throughput ≥ 30 % of raw, steady p99 < 100 ms at 200 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid

import aio_pika
import asyncpg
from sqlalchemy import Column, Float, MetaData, String, Table, insert

from portfolio_shared.db import UnitOfWork, make_engine, make_sessionmaker
from portfolio_shared.events import Envelope, EventPayload, event
from portfolio_shared.messaging import EventConsumer, IncomingMessage, OutboxRelay, Subscriptions, messaging_tables
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
things = Table("things", metadata, Column("id", String(36), primary_key=True))
handled = Table("handled", metadata, Column("id", String(36), primary_key=True), Column("at", Float))
CONSUMER = "bench.consumer"


@event("bench.thing.created")
class ThingCreated(EventPayload):
    thing_id: str
    committed_at: float


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


# -- consumer process ----------------------------------------------------------------------------
async def consume(kind: str, expected: int, db_url: str, amqp: str, name: str) -> None:
    latencies: list[float] = []
    done = asyncio.Event()
    last = 0.0

    def record(sent_at: float) -> None:
        nonlocal last
        last = time.time()
        latencies.append(last - sent_at)
        if len(latencies) >= expected:
            done.set()

    if kind == "ours":
        engine = make_engine(db_url, pool_size=16)
        sessions = make_sessionmaker(engine)
        subs = Subscriptions(CONSUMER)

        @subs.on(ThingCreated)
        async def on_created(evt: ThingCreated, envelope: Envelope, uow: UnitOfWork) -> None:
            await uow.session.execute(insert(handled).values(id=evt.thing_id, at=time.time()))

        class Timed(EventConsumer):
            async def handle(self, message: IncomingMessage) -> None:
                await super().handle(message)
                record(json.loads(message.body)["payload"]["committed_at"])

        bus = RabbitBus(amqp, Topology(prefix=name))
        await Timed(subs, lambda: UnitOfWork(sessions, outbox), inbox).start(bus)
    else:
        conn = await aio_pika.connect(amqp)
        channel = await conn.channel()
        await channel.set_qos(prefetch_count=Topology().prefetch)
        exchange = await channel.declare_exchange(name + "x", aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(name + "q", durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, "#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            record(json.loads(message.body)["committed_at"])
            await message.ack()

        await queue.consume(on_message)
    print("ready", flush=True)
    await asyncio.wait_for(done.wait(), timeout=300)
    print(json.dumps({"latencies": latencies, "last": last}), flush=True)


# -- producing process --------------------------------------------------------------------------
def start_consumer(kind: str, expected: int, db_url: str, amqp: str, name: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--consume", kind, str(expected), db_url, amqp, name],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        raise RuntimeError(f"consumer did not start: {line!r}")
    return proc


def finish_consumer(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, _ = proc.communicate(timeout=320)
    return dict(json.loads(out.strip().splitlines()[-1]))


async def produce_ours(db_url: str, amqp: str, name: str, *, per: int, producers: int, rate: float | None) -> float:
    engine = make_engine(db_url, pool_size=producers + 2)
    sessions = make_sessionmaker(engine)
    bus = RabbitBus(amqp, Topology(prefix=name))
    relay = OutboxRelay(engine, outbox, bus, batch_size=500, poll_interval=0.05)
    relay.start()
    interval = producers / rate if rate else None

    async def produce() -> None:
        for _ in range(per):
            started = time.perf_counter()
            async with UnitOfWork(sessions, outbox, after_commit=relay.wake) as uow:
                tid = str(uuid.uuid4())
                await uow.session.execute(insert(things).values(id=tid))
                uow.publish(ThingCreated(thing_id=tid, committed_at=time.time()), school_id="bench")
                await uow.commit()
            if interval:
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

    start = time.time()
    await asyncio.gather(*(produce() for _ in range(producers)))
    await relay.drain(timeout=120)
    await relay.stop()
    await bus.close()
    await engine.dispose()
    return start


async def produce_raw(amqp: str, name: str, *, per: int, producers: int, rate: float | None) -> float:
    conn = await aio_pika.connect(amqp)
    interval = producers / rate if rate else None

    async def produce() -> None:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(name + "x")
        for _ in range(per):
            started = time.perf_counter()
            body = ThingCreated(thing_id=str(uuid.uuid4()), committed_at=time.time()).model_dump_json().encode()
            await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "x")
            if interval:
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

    start = time.time()
    await asyncio.gather(*(produce() for _ in range(producers)))
    await conn.close()
    return start


async def scenario(
    kind: str, db_url: str, amqp: str, *, events: int, producers: int, rate: float | None
) -> tuple[float, list[float]]:
    per = events // producers
    expected = per * producers
    name = f"bench.{uuid.uuid4().hex[:6]}."
    if kind == "ours":
        engine = make_engine(db_url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        await engine.dispose()
    proc = await asyncio.to_thread(start_consumer, kind, expected, db_url, amqp, name)
    if kind == "ours":
        start = await produce_ours(db_url, amqp, name, per=per, producers=producers, rate=rate)
    else:
        start = await produce_raw(amqp, name, per=per, producers=producers, rate=rate)
    produced = time.time()
    result = await asyncio.to_thread(finish_consumer, proc)
    await cleanup(amqp, name)
    if rate is None:
        print(
            f"  {kind}: producing (and relaying) took {produced - start:.2f}s, "
            f"last handled at {float(result['last']) - start:.2f}s"
        )  # type: ignore[arg-type]
    return expected / (float(result["last"]) - start), list(result["latencies"])  # type: ignore[arg-type]


async def cleanup(amqp: str, name: str) -> None:
    topology = Topology(prefix=name)
    conn = await aio_pika.connect(amqp)
    async with conn.channel() as ch:
        for queue in (topology.queue(CONSUMER), topology.dead_letter_queue(CONSUMER), name + "q"):
            await ch.queue_delete(queue)
        for exchange in (topology.exchange, topology.dead_letter_exchange, name + "x"):
            await ch.exchange_delete(exchange)
    await conn.close()


async def main(args: argparse.Namespace) -> None:
    import os

    dbname = f"bench_outbox_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{dbname}"')
    await admin.close()
    db_url = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{dbname}"
    steady = int(args.rate * args.seconds)
    curve = args.curve or [args.events]
    print(
        f"throughput: {', '.join(map(str, curve))} events by {args.producers} producers; "
        f"latency: steady {args.rate:.0f}/s for {args.seconds:.0f}s ({steady} events); "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    try:
        throughput: dict[int, dict[str, float]] = {}
        for n in curve:  # how cost grows with the burst
            throughput[n] = {}
            for kind in ("raw", "ours"):
                eps, _ = await scenario(kind, db_url, args.amqp, events=n, producers=args.producers, rate=None)
                throughput[n][kind] = eps
        latencies = {}
        for kind in ("raw", "ours"):
            _, latencies[kind] = await scenario(kind, db_url, args.amqp, events=steady, producers=4, rate=args.rate)
    finally:
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()

    print(f"\n{'events':>8}{'raw ev/s':>12}{'ours ev/s':>12}{'ratio':>8}")
    for n, row in throughput.items():
        print(f"{n:>8}{row['raw']:>12.0f}{row['ours']:>12.0f}{row['ours'] / row['raw']:>8.0%}")
    print(f"\nlatency at steady {args.rate:.0f}/s{'p50 ms':>10}{'p99 ms':>10}")
    names = {"raw": "raw aio-pika (confirm + ack)", "ours": "outbox → relay → inbox handler"}
    for kind, lat in latencies.items():
        print(f"{names[kind]:<32}{pct(lat, 50):>10.1f}{pct(lat, 99):>10.1f}")
    ratio = throughput[curve[-1]]["ours"] / throughput[curve[-1]]["raw"]
    print(
        f"\nthroughput ratio ours/raw at {curve[-1]} events: {ratio:.0%} (target ≥ 30 %); "
        f"steady p99 {pct(latencies['ours'], 99):.1f} ms (target < 100 ms); "
        f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--consume":
        _, _, kind, expected, db_url, amqp, name = sys.argv
        asyncio.run(consume(kind, int(expected), db_url, amqp, name))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--events", type=int, default=5000, help="one burst size (without --curve)")
    parser.add_argument(
        "--curve",
        type=lambda text: [int(x) for x in text.split(",") if x.strip()],
        default=[1000, 10000],
        help="burst sizes, comma-separated (default 1000,10000)",
    )
    parser.add_argument("--producers", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    asyncio.run(main(parser.parse_args()))
