"""Settings of the notification service (environment variables PORTFOLIO_NOTIFICATION_*)."""

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from portfolio_shared.config import ServiceSettings

# Public development key (32 bytes, base64) for contact data at rest. Refused outside development.
DEV_CONTACT_KEYS = "dev1:ZGV2ZWxvcG1lbnQtb25seS1jb250YWN0LWtleS0wMDE="


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_NOTIFICATION_", env_file=".env", extra="ignore")

    service_name: str = "notification"
    database_url: str = "sqlite+aiosqlite:///var/notification.db"
    # Contact data (e-mail and postal addresses) is encrypted at rest: "<kid>:<base64 key>,...".
    contact_keys: str = DEV_CONTACT_KEYS

    # E-mail over SMTP. Without a host (standalone), messages are written as .eml files to eml_folder.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    smtp_connections: int = Field(default=8, ge=1, le=64)
    mail_from: str = "學習歷程平臺 Learning Portfolio <noreply@portfolio.invalid>"
    message_id_domain: str = "portfolio.invalid"
    eml_folder: str = "var/mail"

    # Reliability: each failed attempt waits backoff·2^(n-1); after max_attempts → NotificationFailed.
    email_max_attempts: int = Field(default=5, ge=1, le=50)
    email_backoff_seconds: float = Field(default=30, ge=0)
    # A claimed e-mail is not claimed again for this long (a crashed sender's batch comes back after it).
    email_claim_seconds: float = Field(default=120, gt=0)
    email_batch_size: int = Field(default=500, ge=1, le=5000)
    dispatch_poll_seconds: float = Field(default=1.0, gt=0)
    # A NotificationSent per accepted e-mail (the delivery log's event). No service consumes it yet; a
    # district that wants no bus traffic per e-mail can switch it off (failures are always published).
    publish_sent_events: bool = True
    dispatch_lanes: int = Field(default=2, ge=1, le=16)  # PostgreSQL only; SQLite dispatches in one lane
    run_dispatcher: bool = True

    # Reminders: N days before a window closes, unless the school set its own N.
    reminder_days: int = Field(default=3, ge=0, le=60)
    reminder_interval_seconds: float = Field(default=300, gt=0)
    run_scheduler: bool = True
    # Shown in messages and as the letter's return address until a school sets its own.
    default_school_name: str = "本校"

    @model_validator(mode="after")
    def _refuse_development_keys(self) -> Self:
        if self.environment == "production":
            if self.contact_keys == DEV_CONTACT_KEYS:
                raise ValueError("the public development contact_keys are refused outside development")
            if not self.smtp_host:
                raise ValueError("production sends e-mail over SMTP: set smtp_host")
        return self

    def _secrets(self) -> dict[str, str]:
        return {**super()._secrets(), "contact_keys": self.contact_keys}
