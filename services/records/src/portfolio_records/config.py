"""Settings of the records service (environment variables PORTFOLIO_RECORDS_*).

Field encryption (R-DATA-1, R-REC-3): ``field_keys`` is ``"<kid>:<base64 32-byte key>,..."``;
new values are written under ``field_current_kid`` and older kids keep decrypting until a
re-encryption job has moved every value (key rotation). ``blind_index_key`` is a separate key
for the exact-lookup digest of national ID numbers. The development defaults below are public,
so outside development they are refused (like every default secret of the platform).
"""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from portfolio_shared.config import ServiceSettings
from portfolio_shared.events.retention import ALL_SERVICES, RetentionService
from portfolio_shared.sealing import DEV_SUBMISSION_PUBLIC_KEY, check_public_key

# Public development keys (32 bytes each, base64). Refused outside development.
DEV_FIELD_KEYS = "dev:ZGV2LW9ubHktZmllbGQta2V5LWNoYW5nZS1tZSEhISE="
DEV_BLIND_INDEX_KEY = "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LWNoZy1tZSE="


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_RECORDS_", env_file=".env", extra="ignore")

    service_name: str = "records"
    database_url: str = "sqlite+aiosqlite:///var/records.db"
    field_keys: str = DEV_FIELD_KEYS
    field_current_kid: str = "dev"
    blind_index_key: str = DEV_BLIND_INDEX_KEY
    # The submission service's public key (X25519, base64url): the personal fields its workbooks need
    # (national ID, birth date, name) are sealed to it before they travel (portfolio_shared.sealing).
    submission_public_key: str = DEV_SUBMISSION_PUBLIC_KEY
    grade_file_max_bytes: int = 200 * 1024 * 1024
    # Nightly SIS grade import (R-DUTY-3): where each school's SIS drops its export. The URL names
    # a folder (file:///srv/sis-drop) or an S3 bucket (s3://KEY:SECRET@host:9000/bucket?secure=false);
    # the prefix template names each school's folder in it. Empty URL: no nightly import.
    sis_drop_url: str = ""
    sis_drop_prefix: str = "{school_code}/"
    sis_drop_pattern: str = "grades*.csv"  # the newest matching name (date in the name) is imported
    nightly_sync_at: str = Field(default="02:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    nightly_time_zone: str = "Asia/Taipei"
    # The in-process scheduler (standalone shape); Kubernetes runs the CronJob instead.
    nightly_scheduler: bool = False
    nightly_lease_seconds: int = Field(default=7200, ge=60)
    # Retention (R-RET-1): the services whose confirmations complete a proof of deletion, and the
    # nightly purge of schools that switched it on (in-process scheduler; Kubernetes: the CronJob
    # ``python -m portfolio_records.cli retention-purge``).
    retention_expected_services: list[RetentionService] = Field(default_factory=lambda: list(ALL_SERVICES))
    retention_purge_scheduler: bool = False
    retention_purge_at: str = Field(default="03:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @model_validator(mode="after")
    def _records_confirms_its_own_deletions(self) -> Self:
        if "records" not in self.retention_expected_services:
            raise ValueError("retention_expected_services must include records (it deletes its own data first)")
        return self

    @model_validator(mode="after")
    def _refuse_development_keys(self) -> Self:
        if self.environment == "production":
            public = {
                "field_keys": DEV_FIELD_KEYS,
                "blind_index_key": DEV_BLIND_INDEX_KEY,
                "submission_public_key": DEV_SUBMISSION_PUBLIC_KEY,
            }
            used = [name for name, value in public.items() if getattr(self, name) == value]
            if used:
                raise ValueError(f"the public development keys are refused outside development: {', '.join(used)}")
        return self

    @model_validator(mode="after")
    def _check_submission_key(self) -> Self:
        check_public_key(self.submission_public_key)
        return self

    def _secrets(self) -> dict[str, str]:
        return {**super()._secrets(), "field_keys": self.field_keys, "blind_index_key": self.blind_index_key}
