"""Prometheus signals of the notification service (issue 17)."""

from __future__ import annotations

from prometheus_client import Counter

DELIVERIES = Counter(
    "portfolio_notification_deliveries_total",
    "Deliveries by channel and result: inbox sent at once, postal ready for printing, e-mail sent, "
    "retried (an attempt failed, another follows) or failed (given up, or no address on record)",
    ["channel", "result"],
)
