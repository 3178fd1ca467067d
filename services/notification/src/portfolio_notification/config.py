"""Settings of the notification service (environment variables PORTFOLIO_NOTIFICATION_*)."""

from pydantic_settings import SettingsConfigDict

from portfolio_shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_NOTIFICATION_", env_file=".env", extra="ignore")

    service_name: str = "notification"
    database_url: str = "sqlite+aiosqlite:///var/notification.db"
