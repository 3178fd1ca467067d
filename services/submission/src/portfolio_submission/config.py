"""Settings of the submission service (environment variables PORTFOLIO_SUBMISSION_*)."""

from pydantic_settings import SettingsConfigDict

from .sending_config import SendingSettings


class Settings(SendingSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_SUBMISSION_", env_file=".env", extra="ignore")

    service_name: str = "submission"
    database_url: str = "sqlite+aiosqlite:///var/submission.db"
