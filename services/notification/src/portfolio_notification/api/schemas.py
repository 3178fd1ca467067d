"""Request and response bodies of the notification API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ..domain.model import Trigger


class InboxMessage(BaseModel):
    id: uuid.UUID
    school_id: str
    trigger: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    items: list[InboxMessage]
    total: int
    limit: int
    offset: int


class UnreadCount(BaseModel):
    unread: int


class PreferencesPublic(BaseModel):
    email_reminders: bool
    email_receipts: bool = Field(True, description="Always true: receipts cannot be switched off (R-SUB-7)")
    email: str | None = Field(None, description="Masked")
    postal_address_on_record: bool


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email_reminders: bool
    email_receipts: bool = True


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    trigger_key: str
    recipient_user_id: str
    channel: str
    trigger: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    total: int
    limit: int
    offset: int


class SchoolSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reminder_days: int = Field(
        ge=0, le=60, description="Days before a window closes that reminders go out; 0 switches reminders off"
    )
    school_name: str = Field(min_length=1, max_length=200)
    return_address: str = Field(max_length=300, description="Printed above the address on every letter")


class TemplateOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)


class Done(BaseModel):
    ok: bool = True


__all__ = ["Trigger"]
