"""Commands of the notification service (imperative; the handler table dispatches on their type)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .model import Recipient, Trigger

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "older than any event": a fact not yet seen


@dataclass(frozen=True)
class Notify:
    """Fan one occurrence of a trigger out to its recipients on their channels."""

    trigger: Trigger
    key: str
    school_id: str
    recipients: tuple[Recipient, ...]
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KeepContact:
    """Upsert this service's read copy of a person (fed by identity's and records' events).

    ``None`` leaves a field as it is; contact data is encrypted at rest by the adapter.
    """

    user_id: str
    school_id: str | None = None
    display_name: str | None = None
    kind: str | None = None
    left: bool | None = None
    email: str | None = None
    postal_recipient: str | None = None
    postal_code: str | None = None
    postal_address: str | None = None
    as_of: datetime | None = None


@dataclass(frozen=True)
class RunReminders:
    now: datetime


@dataclass(frozen=True)
class MarkRead:
    user_id: str
    school_ids: frozenset[str]
    message_id: str


@dataclass(frozen=True)
class SetPreferences:
    user_id: str
    email_reminders: bool
    email_receipts: bool = True


@dataclass(frozen=True)
class SetSchoolSettings:
    school_id: str
    reminder_days: int
    school_name: str
    return_address: str


@dataclass(frozen=True)
class SetTemplateOverride:
    school_id: str
    trigger: Trigger
    channel: str
    subject: str
    body: str


@dataclass(frozen=True)
class RetryDelivery:
    school_ids: frozenset[str]
    delivery_id: str


# --- read copies of other services' facts (event-carried state) ------------------------------------


@dataclass(frozen=True)
class KeepWindow:
    school_id: str
    academic_year: int
    semester: int
    phase: str
    starts_at: datetime
    ends_at: datetime
    as_of: datetime = EPOCH


@dataclass(frozen=True)
class KeepCertifiers:
    course_id: str
    school_id: str
    certifier_user_ids: tuple[str, ...]
    as_of: datetime = EPOCH


@dataclass(frozen=True)
class KeepArtifact:
    """``status`` / ``selected`` None: unchanged (an event about selection says nothing of certification)."""

    artifact_id: str
    kind: str
    school_id: str
    student_user_id: str
    status: str | None = None
    selected: bool | None = None
    course_id: str | None = None
    academic_year: int | None = None
    semester: int | None = None
    as_of: datetime = EPOCH


@dataclass(frozen=True)
class KeepReceipt:
    receipt_id: str
    school_id: str
    student_user_ids: tuple[str, ...] | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


@dataclass(frozen=True)
class KeepDuty:
    school_id: str
    duty_code: str
    responsible_user_ids: tuple[str, ...] | None = None
    delegate_user_ids: tuple[str, ...] | None = None
    acting_user_id: str | None = None
    acting_known: bool = False


@dataclass(frozen=True)
class NotifyOffice:
    """Notify whoever acts for an office's duty now (R-DUTY-2), plus any named people."""

    trigger: Trigger
    key: str
    school_id: str
    duty_code: str
    context: dict[str, Any] = field(default_factory=dict)
    also: tuple[Recipient, ...] = ()
