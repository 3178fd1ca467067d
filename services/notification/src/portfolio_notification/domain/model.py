"""What triggers a message, who gets it on which channel (pure functions, no I/O).

通知: each (trigger, recipient, channel) is sent once. A trigger key names one occurrence of a
trigger (a window's closing, one receipt, one objection), so a duplicate event or a second scheduler
run maps onto the same key and the database's unique constraint makes it a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from portfolio_shared.clock import as_utc
from portfolio_shared.events import submission as submission_contracts
from portfolio_shared.fieldcrypto import mask_email as mask_email

Channel = Literal["inbox", "email", "postal"]


class Trigger(StrEnum):
    CERTIFICATION_REMINDER = "certification_reminder"  # R-ART-3
    UPLOAD_REMINDER = "upload_reminder"  # R-ART-1, R-PERF-1
    SELECTION_REMINDER = "selection_reminder"  # R-ART-4, R-PERF-2
    RECEIPT_WINDOW_OPENED = "receipt_window_opened"  # R-SUB-5..R-SUB-7, R-SUB-9
    RECEIPT_LETTER = "receipt_letter"  # R-SUB-9: submission's letter with the received items, by post only
    OBJECTION_RAISED = "objection_raised"  # R-SUB-8
    OBJECTION_RESOLVED = "objection_resolved"  # R-SUB-8
    FILE_INTEGRITY_FAILED = "file_integrity_failed"
    BATCH_FAILED = "batch_failed"  # R-SUB-4


REMINDERS = frozenset({Trigger.CERTIFICATION_REMINDER, Trigger.UPLOAD_REMINDER, Trigger.SELECTION_REMINDER})
# Only the receipt reaches a student who left by post (R-SUB-9).
POSTAL_TRIGGERS = frozenset({Trigger.RECEIPT_WINDOW_OPENED, Trigger.RECEIPT_LETTER})
# Submission asks for this letter because the student left (its enrolment facts, R-SUB-9): it goes by
# post even when this service has not heard of the leaving yet.
POSTAL_ONLY = frozenset({Trigger.RECEIPT_LETTER})

# Which office submits which kind of data (R-SUB-4): identity's duty codes (Annex 1).
SUBMITTING_DUTY: dict[str, str] = dict(submission_contracts.SUBMITTING_DUTY)
IT_SECTION_DUTY = "accounts"  # 資訊組: accounts and permissions
GUIDANCE_DUTY = "receipt_confirmation"  # 資料組 completes the receipt confirmation (R-SUB-8)


@dataclass(frozen=True)
class Contact:
    """This service's read copy of a person: enough to reach them, nothing more."""

    user_id: str
    school_id: str
    display_name: str = ""
    kind: str = "student"
    left: bool = False
    email: str | None = None
    has_postal_address: bool = False
    email_reminders: bool = True


@dataclass(frozen=True)
class Recipient:
    user_id: str
    context: dict[str, Any] = field(default_factory=dict)


def channels_for(trigger: Trigger, contact: Contact) -> list[Channel]:
    """Channels one person gets for one trigger.

    A person who left cannot use the platform: no inbox, no e-mail (the school account is gone);
    only the receipt goes to them by post (R-SUB-9). Reminders may be switched off for e-mail,
    receipts may not.
    """
    if trigger in POSTAL_ONLY:
        return ["postal"]
    if contact.left:
        return ["postal"] if trigger in POSTAL_TRIGGERS else []
    channels: list[Channel] = ["inbox"]
    if contact.email and (contact.email_reminders or trigger not in REMINDERS):
        channels.append("email")
    return channels


def trigger_key(trigger: Trigger, *parts: object) -> str:
    return ":".join([trigger.value, *(str(p) for p in parts)])


def reminder_due(now: datetime, ends_at: datetime, days_before: int) -> bool:
    """N days (per school) before a window closes, until it closes."""
    return ends_at - timedelta(days=days_before) <= now < ends_at


def backoff_seconds(attempt: int, base: float, cap: float = 3600.0) -> float:
    """Exponential: base, 2·base, 4·base … after the 1st, 2nd, 3rd failed attempt."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


def message_id(delivery_id: str, domain: str) -> str:
    """Stable per delivery: a resend after a crash carries the same Message-ID, so mail clients fold it."""
    return f"<{delivery_id}@{domain}>"


aware = as_utc  # SQLite hands back naive datetimes; every stored time is UTC (portfolio_shared.clock)
