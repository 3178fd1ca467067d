"""RabbitMQ adapter of the bus (aio-pika): confirms, persistent messages, quorum queues, manual acks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from aio_pika.exceptions import PublishError

from .bus import DeadLetter, Handler, IncomingMessage, OutgoingMessage, PermanentFailure, Unroutable
from .metrics import DEAD_LETTERED
from .topology import Topology

log = logging.getLogger(__name__)

_BROKER_HEADERS = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
    "x-delivery-count",
)


def _text_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (headers or {}).items():
        if key in _BROKER_HEADERS:
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str | int | float | bool):
            out[key] = str(value)
    return out


def _death_reason(headers: Mapping[str, Any] | None) -> str:
    deaths = (headers or {}).get("x-death")
    if isinstance(deaths, list) and deaths:
        first = deaths[0]
        if isinstance(first, Mapping):
            reason = first.get("reason", "")
            return reason.decode() if isinstance(reason, bytes) else str(reason)
    return ""


class RabbitBus:
    def __init__(
        self, url: str, topology: Topology | None = None, *, publish_timeout: float = 5.0, connect_timeout: float = 5.0
    ) -> None:
        self.url = url
        self.topology = topology or Topology()
        self.publish_timeout = publish_timeout
        self.connect_timeout = connect_timeout
        self._pub_conn: aio_pika.abc.AbstractConnection | None = None
        self._pub_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._pub_lock = asyncio.Lock()
        self._consume_conn: AbstractRobustConnection | None = None
        self._consume_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- publishing ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self._publisher()

    def _ready_exchange(self) -> AbstractExchange | None:
        if self._exchange is not None and self._pub_channel is not None and not self._pub_channel.is_closed:
            return self._exchange
        return None

    async def _publisher(self) -> AbstractExchange:
        ready = self._ready_exchange()
        if ready is not None:  # the hot path takes no lock
            return ready
        async with self._pub_lock:
            ready = self._ready_exchange()
            if ready is not None:
                return ready
            await self._drop_publisher()
            conn = await aio_pika.connect(self.url, timeout=self.connect_timeout)
            try:
                channel = await conn.channel(publisher_confirms=True, on_return_raises=True)
                exchange = await self._declare_exchanges(channel)
            except BaseException:
                await conn.close()
                raise
            self._pub_conn, self._pub_channel, self._exchange = conn, channel, exchange
            return exchange

    async def _drop_publisher(self) -> None:
        conn, self._pub_conn, self._pub_channel, self._exchange = self._pub_conn, None, None, None
        if conn is not None and not conn.is_closed:
            try:
                await asyncio.wait_for(conn.close(), timeout=2)
            except Exception:  # the connection is gone already; nothing to save
                log.debug("closing a broken publisher connection failed", exc_info=True)

    async def _declare_exchanges(self, channel: AbstractChannel) -> AbstractExchange:
        exchange = await channel.declare_exchange(self.topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await channel.declare_exchange(self.topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        return exchange

    async def publish(self, message: OutgoingMessage) -> None:
        exchange = await self._publisher()
        amqp = aio_pika.Message(
            body=message.body,
            message_id=message.message_id,
            headers={k: v for k, v in message.headers.items()},
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            async with asyncio.timeout(self.publish_timeout):
                await exchange.publish(amqp, routing_key=message.routing_key, mandatory=message.mandatory)
        except PublishError as exc:
            # basic.return: no queue is bound to the key yet. The channel is fine; the message is not
            # delivered, so the caller (the outbox relay) must keep it and try again later.
            raise Unroutable(f"no queue is bound to {message.routing_key} on {self.topology.exchange}") from exc
        except BaseException:
            await self._drop_publisher()
            raise

    async def ping(self) -> bool:
        try:
            await asyncio.wait_for(self._publisher(), timeout=self.connect_timeout)
        except Exception:
            return False
        return True

    # -- consuming ----------------------------------------------------------------------------
    async def _consumer_connection(self) -> AbstractRobustConnection:
        async with self._consume_lock:
            if self._consume_conn is None or self._consume_conn.is_closed:
                self._consume_conn = await aio_pika.connect_robust(
                    self.url, timeout=self.connect_timeout, reconnect_interval=1.0
                )
            return self._consume_conn

    async def _declare_consumer(
        self, channel: AbstractChannel, consumer: str, routing_keys: tuple[str, ...]
    ) -> aio_pika.abc.AbstractQueue:
        exchange = await self._declare_exchanges(channel)
        # Dead letters sit in a classic durable queue: it has no delivery limit of its own, so
        # inspecting them (get + requeue) can never make the broker drop one.
        dlq = await channel.declare_queue(self.topology.dead_letter_queue(consumer), durable=True)
        await dlq.bind(self.topology.dead_letter_exchange, routing_key=self.topology.queue(consumer))
        queue = await channel.declare_queue(
            self.topology.queue(consumer), durable=True, arguments=self.topology.queue_arguments(consumer)
        )
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        return queue

    async def subscribe(self, consumer: str, routing_keys: tuple[str, ...], handler: Handler) -> None:
        conn = await self._consumer_connection()
        channel = await conn.channel()
        await channel.set_qos(prefetch_count=self.topology.prefetch)
        queue = await self._declare_consumer(channel, consumer, routing_keys)

        async def on_message(message: AbstractIncomingMessage) -> None:
            previous = message.headers.get("x-delivery-count") or 0
            delivery_count = int(previous) + 1 if isinstance(previous, int | str) else 1
            incoming = IncomingMessage(
                routing_key=str(message.headers.get("x-original-routing-key") or message.routing_key or ""),
                body=message.body,
                message_id=message.message_id or "",
                headers=_text_headers(message.headers),
                delivery_count=delivery_count,
            )
            try:
                await handler(incoming)
            except PermanentFailure:
                log.exception("dead-lettering message %s from %s at once", incoming.message_id, consumer)
                DEAD_LETTERED.labels(self.topology.queue(consumer)).inc()
                await message.reject(requeue=False)
                return
            except Exception:
                delay = self.topology.retry_delay(delivery_count)
                log.exception(
                    "handler of %s failed on message %s (delivery %d); retry in %.1fs",
                    consumer,
                    incoming.message_id,
                    delivery_count,
                    delay,
                )
                await asyncio.sleep(delay)
                # The quorum queue counts this return; past the delivery limit it dead-letters.
                if delivery_count > self.topology.delivery_limit:
                    DEAD_LETTERED.labels(self.topology.queue(consumer)).inc()
                await message.nack(requeue=True)
                return
            await message.ack()

        await queue.consume(on_message, no_ack=False)

    async def declare(self, consumer: str, routing_keys: tuple[str, ...]) -> None:
        """Declare a consumer's queues and bindings without consuming (migrations, tests)."""
        conn = await self._consumer_connection()
        async with conn.channel() as channel:
            await self._declare_consumer(channel, consumer, routing_keys)

    # -- dead letters -------------------------------------------------------------------------
    async def dead_letters(self, consumer: str, limit: int = 100) -> list[DeadLetter]:
        conn = await self._consumer_connection()
        out: list[DeadLetter] = []
        async with conn.channel() as channel:
            dlq = await channel.declare_queue(self.topology.dead_letter_queue(consumer), durable=True)
            held: list[AbstractIncomingMessage] = []
            try:
                while len(held) < limit:
                    msg = await dlq.get(no_ack=False, fail=False)
                    if msg is None:
                        break
                    held.append(msg)
                    out.append(
                        DeadLetter(
                            queue=self.topology.queue(consumer),
                            message_id=msg.message_id or "",
                            routing_key=str(msg.headers.get("x-original-routing-key") or msg.routing_key or ""),
                            body=msg.body,
                            headers=_text_headers(msg.headers),
                            reason=_death_reason(msg.headers),
                        )
                    )
            finally:
                for msg in held:
                    await msg.nack(requeue=True)
        return out

    async def dead_letter_count(self, consumer: str) -> int:
        """Messages waiting in the consumer's dead-letter queue (a declare tells the count, reads none)."""
        conn = await self._consumer_connection()
        async with conn.channel() as channel:
            dlq = await channel.declare_queue(self.topology.dead_letter_queue(consumer), durable=True)
            return await self._depth(dlq)

    async def replay_dead_letters(self, consumer: str, message_ids: set[str] | None = None) -> int:
        conn = await self._consumer_connection()
        replayed = 0
        async with conn.channel(publisher_confirms=True) as channel:
            dlq = await channel.declare_queue(self.topology.dead_letter_queue(consumer), durable=True)
            skipped: list[AbstractIncomingMessage] = []
            try:
                for _ in range(await self._depth(dlq)):
                    msg = await dlq.get(no_ack=False, fail=False)
                    if msg is None:
                        break
                    if message_ids is not None and (msg.message_id or "") not in message_ids:
                        skipped.append(msg)
                        continue
                    headers: dict[str, Any] = dict(_text_headers(msg.headers))
                    headers.setdefault("x-original-routing-key", str(msg.routing_key or ""))
                    headers["x-replayed"] = "true"
                    # Back to this consumer's queue only (default exchange), not to every subscriber.
                    await channel.default_exchange.publish(
                        aio_pika.Message(
                            body=msg.body,
                            message_id=msg.message_id,
                            headers=headers,
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=self.topology.queue(consumer),
                    )
                    await msg.ack()
                    replayed += 1
            finally:
                for msg in skipped:
                    await msg.nack(requeue=True)
        return replayed

    @staticmethod
    async def _depth(queue: aio_pika.abc.AbstractQueue) -> int:
        result = await queue.declare()
        return int(getattr(result, "message_count", 0) or 0)

    async def close(self) -> None:
        await self._drop_publisher()
        if self._consume_conn is not None:
            await self._consume_conn.close()
            self._consume_conn = None
