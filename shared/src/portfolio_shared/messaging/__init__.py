"""Messaging plumbing: topology, the bus port and its adapters, outbox relay, inbox, dead letters.

Services import from here only; no handler imports aio-pika.
"""

from .bus import DeadLetter, IncomingMessage, MessageBus, OutgoingMessage, PermanentFailure
from .consumer import EventConsumer, Subscriptions, record_in_inbox
from .outbox import OutboxRelay
from .tables import NAMING_CONVENTION, inbox_table, messaging_tables, outbox_table, service_metadata
from .topology import Topology


def make_bus(url: str, topology: Topology | None = None) -> MessageBus:
    """``amqp://...`` gives RabbitMQ; ``sqlite+aiosqlite:///path`` the in-process broker."""
    if url.startswith(("amqp://", "amqps://")):
        from .rabbit import RabbitBus

        return RabbitBus(url, topology)
    if url.startswith("sqlite"):
        from .inprocess import InProcessBus

        return InProcessBus(url, topology)
    raise ValueError(f"unsupported broker URL scheme: {url.split(':', 1)[0]}")


__all__ = [
    "NAMING_CONVENTION",
    "DeadLetter",
    "EventConsumer",
    "IncomingMessage",
    "MessageBus",
    "OutboxRelay",
    "OutgoingMessage",
    "PermanentFailure",
    "Subscriptions",
    "Topology",
    "inbox_table",
    "make_bus",
    "messaging_tables",
    "outbox_table",
    "record_in_inbox",
    "service_metadata",
]
