"""Settings of the identity service (environment variables PORTFOLIO_IDENTITY_*)."""

from pydantic_settings import SettingsConfigDict

from portfolio_shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_IDENTITY_", env_file=".env", extra="ignore")

    service_name: str = "identity"
    database_url: str = "sqlite+aiosqlite:///var/identity.db"
