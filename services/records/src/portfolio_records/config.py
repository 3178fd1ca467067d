"""Settings of the records service (environment variables PORTFOLIO_RECORDS_*)."""

from pydantic_settings import SettingsConfigDict

from portfolio_shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_RECORDS_", env_file=".env", extra="ignore")

    service_name: str = "records"
    database_url: str = "sqlite+aiosqlite:///var/records.db"
