"""Events published by the notification service."""

from __future__ import annotations

from typing import Literal

from .base import EventPayload, event

Channel = Literal["inbox", "email", "postal"]


@event("notification.message.sent")
class NotificationSent(EventPayload):
    notification_id: str
    recipient_user_id: str
    school_id: str
    channel: Channel
    template: str


@event("notification.message.failed")
class NotificationFailed(EventPayload):
    notification_id: str
    recipient_user_id: str
    school_id: str
    channel: Channel
    reason: str
    will_retry: bool
