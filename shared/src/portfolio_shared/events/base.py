"""Event envelope and the versioned payload base class.

Every event travels as an :class:`Envelope` whose ``payload`` is one registered
:class:`EventPayload` subclass. The routing key is ``<service>.<aggregate>.<event>.v<N>``.
A breaking change to a payload is a new class with a higher version, never an edit in place;
the JSON Schema snapshots in ``shared/schemas/`` make every change visible in review.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

P = TypeVar("P", bound="EventPayload")


class EventPayload(BaseModel):
    """Base of every event payload. Subclasses are registered with :func:`event`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = ""
    event_version: ClassVar[int] = 0

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.event_type}.v{cls.event_version}"


REGISTRY: dict[tuple[str, int], type[EventPayload]] = {}


def event(event_type: str, version: int = 1) -> Callable[[type[P]], type[P]]:
    """Register a payload class under ``event_type`` and ``version``."""
    parts = event_type.split(".")
    if len(parts) != 3 or not all(p.replace("_", "").isalnum() and p.islower() for p in parts):
        raise ValueError(f"event type must be <service>.<aggregate>.<event> in lower case: {event_type!r}")

    def register(cls: type[P]) -> type[P]:
        key = (event_type, version)
        if key in REGISTRY and REGISTRY[key] is not cls:
            raise ValueError(f"event {event_type} v{version} registered twice")
        cls.event_type = event_type
        cls.event_version = version
        REGISTRY[key] = cls
        return cls

    return register


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """What goes on the wire: metadata plus one payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    school_id: str | None = Field(default=None, description="Tenant the event belongs to, if any")
    actor: str | None = Field(default=None, description="User id (or 'system:<job>') who caused it")
    correlation_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def routing_key(self) -> str:
        return f"{self.type}.v{self.version}"

    def payload_class(self) -> builtins.type[EventPayload] | None:
        return REGISTRY.get((self.type, self.version))

    def decode(self) -> EventPayload:
        cls = self.payload_class()
        if cls is None:
            raise LookupError(f"no contract registered for {self.routing_key}")
        return cls.model_validate(self.payload)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> Envelope:
        return cls.model_validate_json(body)


def envelope_for(
    payload: EventPayload,
    *,
    school_id: str | None,
    actor: str | None,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Wrap a payload. Pass the incoming envelope's ids when reacting to another event."""
    if not payload.event_type:
        raise TypeError(f"{type(payload).__name__} is not registered with @event")
    return Envelope(
        type=payload.event_type,
        version=payload.event_version,
        occurred_at=occurred_at or utcnow(),
        school_id=school_id,
        actor=actor,
        correlation_id=correlation_id or uuid.uuid4(),
        causation_id=causation_id,
        payload=payload.model_dump(mode="json"),
    )
