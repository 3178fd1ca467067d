"""In-process broker for the standalone shape: the same semantics as RabbitMQ, kept in SQLite.

Topic routing (``*`` and ``#``), durable per-consumer queues, a publish that returns only once the
message is committed (the "confirm"), manual acks, backoff retries, a delivery limit and a
dead-letter state that the operator command lists and replays. A message that was claimed by a
process that died becomes visible again after its lease, exactly like an unacked delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Sequence

from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..waiting import wait_event
from .bus import DeadLetter, Handler, IncomingMessage, OutgoingMessage, PermanentFailure, Unroutable
from .metrics import DEAD_LETTERED
from .topology import Topology

log = logging.getLogger(__name__)

_meta = MetaData()
bus_bindings = Table(
    "bus_bindings",
    _meta,
    Column("queue", String(200), primary_key=True),
    Column("routing_key", String(200), primary_key=True),
)
bus_messages = Table(
    "bus_messages",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("queue", String(200), nullable=False, index=True),
    Column("message_id", String(64), nullable=False),
    Column("routing_key", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    Column("delivery_count", Integer, nullable=False, default=0),
    Column("available_at", Float, nullable=False),
    Column("state", String(10), nullable=False, default="ready"),  # ready | dead
    Column("reason", String(200), nullable=False, default=""),
)


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` is exactly one word, ``#`` zero or more."""
    p, k = pattern.split("."), key.split(".")

    def match(i: int, j: int) -> bool:
        if i == len(p):
            return j == len(k)
        if p[i] == "#":
            return any(match(i + 1, jj) for jj in range(j, len(k) + 1))
        if j == len(k):
            return False
        return (p[i] == "*" or p[i] == k[j]) and match(i + 1, j + 1)

    return match(0, 0)


class InProcessBus:
    def __init__(
        self,
        url: str = "sqlite+aiosqlite:///var/bus.db",
        topology: Topology | None = None,
        *,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.5,
    ) -> None:
        self.url = url
        self.topology = topology or Topology()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._engine: AsyncEngine | None = None
        self._bindings: list[tuple[str, str]] = []
        self._wakeups: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._started = asyncio.Event()
        self._start_lock = asyncio.Lock()

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("InProcessBus.start() was not called")
        return self._engine

    async def start(self) -> None:
        # Several tasks may start the bus at once (the topology step runs in the background while a
        # consumer subscribes): none may use it before its tables exist.
        if self._started.is_set():
            return
        async with self._start_lock:
            if self._started.is_set():
                return
            engine = create_async_engine(self.url, connect_args={"timeout": 30})
            async with engine.begin() as conn:
                await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                await conn.run_sync(_meta.create_all)
            self._engine = engine
            await self._load_bindings()
            self._started.set()

    async def _load_bindings(self) -> None:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(bus_bindings.c.queue, bus_bindings.c.routing_key))
            self._bindings = [(r.queue, r.routing_key) for r in rows]

    def _route(self, routing_key: str) -> list[str]:
        return sorted({q for q, pattern in self._bindings if topic_matches(pattern, routing_key)})

    async def publish(self, message: OutgoingMessage) -> None:
        await self.start()
        queues = self._route(message.routing_key)
        if not queues and message.mandatory:
            # Another process may have declared the binding since this one loaded them.
            await self._load_bindings()
            queues = self._route(message.routing_key)
            if not queues:
                raise Unroutable(f"no queue is bound to {message.routing_key}")
        if not queues:
            return
        now = time.time()
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(bus_messages),
                [
                    {
                        "queue": q,
                        "message_id": message.message_id,
                        "routing_key": message.routing_key,
                        "body": message.body,
                        "headers": json.dumps(dict(message.headers)),
                        "delivery_count": 0,
                        "available_at": now,
                        "state": "ready",
                        "reason": "",
                    }
                    for q in queues
                ],
            )
        for q in queues:
            if q in self._wakeups:
                self._wakeups[q].set()

    async def declare(self, consumer: str, routing_keys: tuple[str, ...]) -> None:
        await self.start()
        queue = self.topology.queue(consumer)
        new = [(queue, k) for k in routing_keys if (queue, k) not in self._bindings]
        if new:
            # Several services of one process (and other processes) declare the same queues at start:
            # a binding that exists already is not an error (INSERT OR IGNORE), so no retry storm
            # holds the bus file's write lock.
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(bus_bindings).prefix_with("OR IGNORE"), [{"queue": q, "routing_key": k} for q, k in new]
                )
            self._bindings.extend(b for b in new if b not in self._bindings)

    async def subscribe(self, consumer: str, routing_keys: tuple[str, ...], handler: Handler) -> None:
        await self.declare(consumer, routing_keys)
        queue = self.topology.queue(consumer)
        self._wakeups.setdefault(queue, asyncio.Event())
        self._tasks.append(asyncio.create_task(self._worker(queue, handler), name=f"bus:{queue}"))

    async def _claim(self, queue: str) -> Sequence[dict[str, object]]:
        now = time.time()
        async with self.engine.begin() as conn:
            rows = (
                (
                    await conn.execute(
                        select(bus_messages)
                        .where(
                            and_(
                                bus_messages.c.queue == queue,
                                bus_messages.c.state == "ready",
                                bus_messages.c.available_at <= now,
                            )
                        )
                        .order_by(bus_messages.c.id)
                        .limit(self.topology.prefetch)
                    )
                )
                .mappings()
                .all()
            )
            claimed = []
            for row in rows:
                res = await conn.execute(
                    update(bus_messages)
                    .where(and_(bus_messages.c.id == row["id"], bus_messages.c.available_at == row["available_at"]))
                    .values(available_at=now + self.lease_seconds, delivery_count=row["delivery_count"] + 1)
                )
                if res.rowcount == 1:
                    claimed.append({**row, "delivery_count": row["delivery_count"] + 1})
            return claimed

    async def _worker(self, queue: str, handler: Handler) -> None:
        wake = self._wakeups[queue]
        while not self._closing:
            try:
                batch = await self._claim(queue)
            except Exception:
                log.exception("in-process bus: claiming from %s failed", queue)
                batch = []
            for row in batch:
                await self._deliver(row, handler)
            if not batch:
                wake.clear()
                await wait_event(wake, self.poll_seconds)

    async def _deliver(self, row: dict[str, object], handler: Handler) -> None:
        count = int(row["delivery_count"])  # type: ignore[call-overload]
        incoming = IncomingMessage(
            routing_key=str(row["routing_key"]),
            body=bytes(row["body"]),  # type: ignore[call-overload]
            message_id=str(row["message_id"]),
            headers=json.loads(str(row["headers"])),
            delivery_count=count,
        )
        values: dict[str, object]
        try:
            await handler(incoming)
        except PermanentFailure as exc:
            values = {"state": "dead", "reason": f"rejected: {exc}"[:200]}
            DEAD_LETTERED.labels(str(row["queue"])).inc()
        except Exception as exc:
            log.exception("in-process bus: handler of %s failed (delivery %d)", row["queue"], count)
            if count > self.topology.delivery_limit:
                values = {"state": "dead", "reason": f"delivery_limit: {exc}"[:200]}
                DEAD_LETTERED.labels(str(row["queue"])).inc()
            else:
                values = {"available_at": time.time() + self.topology.retry_delay(count)}
        else:
            async with self.engine.begin() as conn:
                await conn.execute(delete(bus_messages).where(bus_messages.c.id == row["id"]))
            return
        async with self.engine.begin() as conn:
            await conn.execute(update(bus_messages).where(bus_messages.c.id == row["id"]).values(**values))

    async def ping(self) -> bool:
        try:
            await self.start()
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except Exception:
            return False
        return True

    async def dead_letter_count(self, consumer: str) -> int:
        await self.start()
        queue = self.topology.queue(consumer)
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).where(and_(bus_messages.c.queue == queue, bus_messages.c.state == "dead"))
            )
        return int(count or 0)

    async def dead_letters(self, consumer: str, limit: int = 100) -> list[DeadLetter]:
        await self.start()
        queue = self.topology.queue(consumer)
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(bus_messages)
                        .where(and_(bus_messages.c.queue == queue, bus_messages.c.state == "dead"))
                        .order_by(bus_messages.c.id)
                        .limit(limit)
                    )
                )
                .mappings()
                .all()
            )
        return [
            DeadLetter(
                queue=queue,
                message_id=r["message_id"],
                routing_key=r["routing_key"],
                body=r["body"],
                headers=json.loads(r["headers"]),
                reason=r["reason"],
            )
            for r in rows
        ]

    async def replay_dead_letters(self, consumer: str, message_ids: set[str] | None = None) -> int:
        await self.start()
        queue = self.topology.queue(consumer)
        cond = and_(bus_messages.c.queue == queue, bus_messages.c.state == "dead")
        if message_ids is not None:
            cond = and_(cond, bus_messages.c.message_id.in_(message_ids))
        async with self.engine.begin() as conn:
            res = await conn.execute(
                update(bus_messages)
                .where(cond)
                .values(state="ready", delivery_count=0, reason="", available_at=time.time())
            )
        if queue in self._wakeups:
            self._wakeups[queue].set()
        return int(res.rowcount or 0)

    async def close(self) -> None:
        self._closing = True
        for wake in self._wakeups.values():
            wake.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        self._started.clear()


def new_message_id() -> str:
    return str(uuid.uuid4())
