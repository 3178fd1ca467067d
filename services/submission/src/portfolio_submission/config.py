"""Settings of the submission service (environment variables PORTFOLIO_SUBMISSION_*).

``private_key`` opens the personal fields records seals for this service (national ID, birth date,
name; portfolio_shared.sealing): X25519, base64url. The development default is public, so outside
development it is refused, like every development secret of the platform; records is given the
matching public key (``PORTFOLIO_RECORDS_SUBMISSION_PUBLIC_KEY``). Make a pair with
``python -m portfolio_submission.keys``.
"""

from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from portfolio_shared.sealing import DEV_SUBMISSION_PRIVATE_KEY, check_private_key

from .sending_config import SendingSettings


class Settings(SendingSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_SUBMISSION_", env_file=".env", extra="ignore")

    service_name: str = "submission"
    database_url: str = "sqlite+aiosqlite:///var/submission.db"
    private_key: str = DEV_SUBMISSION_PRIVATE_KEY
    # Windows and deadlines are planned in the school's time zone (a window entered without an
    # offset is read in it; answers carry its offset).
    school_timezone: str = "Asia/Taipei"
    # The central database's workbook layouts (portfolio_central/layouts/<version>).
    layout_version: str = "2021.1"
    # The largest batch a pre-check report lists in full (findings past it are counted, not stored).
    max_findings: int = Field(default=20_000, ge=100, le=1_000_000)
    # How often each replica looks for receipt confirmation windows to close (R-SUB-7); 0: never
    # (a CronJob runs ``close_due_windows`` instead).
    receipt_close_poll_seconds: float = Field(default=60.0, ge=0, le=3600)

    @field_validator("school_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _keys(self) -> Self:
        check_private_key(self.private_key)
        if self.environment == "production" and self.private_key == DEV_SUBMISSION_PRIVATE_KEY:
            raise ValueError("the public development key is refused outside development: private_key")
        return self

    def _secrets(self) -> dict[str, str]:
        return {**super()._secrets(), "private_key": self.private_key}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.school_timezone)
