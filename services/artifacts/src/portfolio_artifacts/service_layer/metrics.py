"""Prometheus signals of the artifacts service (issue 17): upload steps and the integrity check."""

from __future__ import annotations

from prometheus_client import Gauge, Histogram

UPLOAD_SECONDS = Histogram(
    "portfolio_upload_duration_seconds",
    "Upload steps (init: declare and presign; complete: verify size, SHA-256 and type) by outcome",
    ["step", "outcome"],  # outcome: accepted | refused (a rule said no) | unavailable | error
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
INTEGRITY_FILES = Gauge(
    "portfolio_integrity_files", "Stored files by the last complete integrity check's result", ["result"]
)
INTEGRITY_LAST_COMPLETE = Gauge(
    "portfolio_integrity_last_complete_timestamp_seconds", "When the last integrity check finished (Unix time)"
)
ITEMS = Gauge(
    "portfolio_artifacts_items",
    "Course outcomes and performances per school by status and selection (the deadline-day picture)",
    ["school", "kind", "status", "selected"],
)
