"""The transport port: what the outbox relay and consumers need of a broker.

Two adapters implement it: :mod:`.rabbit` (RabbitMQ through aio-pika) and :mod:`.inprocess`
(a durable in-process broker on SQLite for the standalone shape). Handlers never see either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    routing_key: str
    body: bytes
    message_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # Refuse to drop it: a message no queue is bound to raises :class:`Unroutable` instead of
    # vanishing (AMQP mandatory flag). The outbox relay sets it for every key some consumer has.
    mandatory: bool = False


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    routing_key: str
    body: bytes
    message_id: str
    headers: Mapping[str, str]
    delivery_count: int  # 1 on the first delivery


class PermanentFailure(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it at once."""


class Unroutable(Exception):
    """The broker had no queue for a mandatory message: it was NOT delivered (keep it, retry later)."""


Handler = Callable[[IncomingMessage], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    queue: str
    message_id: str
    routing_key: str
    body: bytes
    headers: Mapping[str, str]
    reason: str


class MessageBus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, message: OutgoingMessage) -> None:
        """Return only when the broker has durably accepted the message (publisher confirm)."""
        ...

    async def subscribe(self, consumer: str, routing_keys: tuple[str, ...], handler: Handler) -> None:
        """Declare the consumer's queue and bindings and start delivering.

        A handler that returns acks the message; one that raises is retried with backoff and
        dead-lettered after the delivery limit; :class:`PermanentFailure` dead-letters at once.
        """
        ...

    async def declare(self, consumer: str, routing_keys: tuple[str, ...]) -> None:
        """Declare a consumer's queue and bindings without consuming (the topology step)."""
        ...

    async def ping(self) -> bool: ...

    async def dead_letters(self, consumer: str, limit: int = 100) -> list[DeadLetter]: ...

    async def dead_letter_count(self, consumer: str) -> int:
        """Messages waiting in the consumer's dead-letter queue (the ``portfolio_deadletter_messages`` gauge)."""
        ...

    async def replay_dead_letters(self, consumer: str, message_ids: set[str] | None = None) -> int:
        """Move dead letters (all, or those ids) back to the consumer's queue; return how many."""
        ...
