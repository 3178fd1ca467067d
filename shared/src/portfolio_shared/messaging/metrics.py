"""Prometheus signals of the messaging path (issue 10): consumers and the outbox relay.

Consumers (label ``consumer``): handled, failed (the bus will retry or dead-letter), redelivered
(a delivery after the first), lag (event ``occurred_at`` → handled). Dead letters are counted by
the bus that decides them (label ``queue``: RabbitMQ's quorum queue past its delivery limit or a
``PermanentFailure``; the in-process bus alike). The relay's published/failed counters and its
backlog gauge live in ``outbox.py``; the age of the oldest unpublished event is here.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HANDLED = Counter(
    "portfolio_consumer_handled_total", "Deliveries a consumer handled (or ignored as duplicates)", ["consumer"]
)
FAILED = Counter("portfolio_consumer_failed_total", "Deliveries whose handling failed", ["consumer"])
REDELIVERED = Counter("portfolio_consumer_redelivered_total", "Deliveries after the first of one message", ["consumer"])
DEAD_LETTERED = Counter("portfolio_consumer_dead_lettered_total", "Messages moved to the dead letters", ["queue"])
LAG = Histogram(
    "portfolio_consumer_lag_seconds",
    "From the event's occurred_at to its handling",
    ["consumer"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600),
)
OUTBOX_OLDEST_AGE = Gauge(
    "portfolio_outbox_oldest_pending_seconds", "Age of the oldest unpublished outbox row (0: none)", ["service"]
)
