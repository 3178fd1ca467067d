"""Event contracts: the envelope and every producer's versioned payloads.

Importing this package registers every contract, so a consumer can decode any envelope.
"""

from . import artifacts, identity, notification, records, retention, submission
from .base import REGISTRY, Envelope, EventPayload, envelope_for, event, utcnow

__all__ = [
    "REGISTRY",
    "Envelope",
    "EventPayload",
    "artifacts",
    "envelope_for",
    "event",
    "identity",
    "notification",
    "records",
    "retention",
    "submission",
    "utcnow",
]
