"""The one place where exchange, queue and dead-letter names and arguments are decided.

- One durable topic exchange carries every event (routing key ``<service>.<aggregate>.<event>.v<N>``).
- Each consumer owns one quorum queue, bound to the routing keys it handles, with a delivery limit.
  A message that exceeds it is dead-lettered to the consumer's own ``.dlq`` queue (through a direct
  dead-letter exchange), where the operator command lists, inspects and replays it.
- A ``prefix`` isolates a test run (or a second deployment) on a shared broker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Topology:
    prefix: str = ""
    delivery_limit: int = 5
    prefetch: int = 32
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 30.0

    @property
    def exchange(self) -> str:
        return f"{self.prefix}portfolio.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}portfolio.dead-letters"

    def queue(self, consumer: str) -> str:
        """Queue of one consumer, e.g. ``artifacts.records-events``."""
        return f"{self.prefix}{consumer}"

    def dead_letter_queue(self, consumer: str) -> str:
        return f"{self.queue(consumer)}.dlq"

    def queue_arguments(self, consumer: str) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": self.queue(consumer),
        }

    def retry_delay(self, delivery_count: int) -> float:
        """Exponential backoff before a failed delivery is handed back to the broker."""
        return float(min(self.retry_max_seconds, self.retry_base_seconds * (2 ** max(0, delivery_count - 1))))


@dataclass(frozen=True, slots=True)
class ConsumerSpec:
    """A consumer's queue name and the routing keys it is bound to."""

    name: str
    routing_keys: tuple[str, ...] = field(default_factory=tuple)
