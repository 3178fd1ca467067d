"""Settings of the artifacts service (environment variables PORTFOLIO_ARTIFACTS_*)."""

from pydantic_settings import SettingsConfigDict

from portfolio_shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_ARTIFACTS_", env_file=".env", extra="ignore")

    service_name: str = "artifacts"
    database_url: str = "sqlite+aiosqlite:///var/artifacts.db"
