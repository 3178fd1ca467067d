"""Settings of the portal (environment variables PORTFOLIO_PORTAL_*).

The portal has no database and no bus: it is a browser-facing edge over the five services' public
HTTP APIs. What it keeps of a signed-in person (their tokens) travels sealed in the person's own
cookie (AES-GCM under ``session_secret``), so any replica serves any request.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from portfolio_shared.config import DEV_SECRET


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_PORTAL_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # The services' base URLs as the portal (a server) reaches them.
    identity_url: str = "http://127.0.0.1:8001"
    records_url: str = "http://127.0.0.1:8002"
    artifacts_url: str = "http://127.0.0.1:8003"
    submission_url: str = "http://127.0.0.1:8004"
    notification_url: str = "http://127.0.0.1:8005"
    # Origins of the presigned upload URLs as the browser sees them (the S3/MinIO public endpoint,
    # comma-separated), allowed in the pages' Content-Security-Policy connect-src. The artifacts
    # service's own origin is always allowed (its local-disk storage routes in the standalone shape).
    storage_origins: str = ""
    request_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    # Seals the session cookie and derives the CSRF tokens; refused when default outside development.
    session_secret: str = DEV_SECRET
    # Secure cookies (HTTPS only). Only a plain-http development or standalone run on localhost turns
    # this off; production refuses it off.
    cookie_secure: bool = True
    # A session lasts at most this long even while its refresh token could rotate on (idle sign-outs
    # are the refresh token's own lifetime at identity).
    session_max_seconds: int = Field(default=12 * 3600, ge=300, le=7 * 24 * 3600)
    # Client-side checks before an upload (the artifacts service decides; these only save a trip):
    # R-FILE-1 limits, the same configuration values as artifacts' own.
    document_max_bytes: int = Field(default=4 * 1024 * 1024, ge=1)
    media_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    description_max_chars: int = Field(default=100, ge=1, le=1000)
    log_json: bool = True
    # How long a school's time-zone setting is reused before it is read again from records.
    school_settings_cache_seconds: float = Field(default=300, ge=0, le=86400)

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Self:
        if self.environment == "production":
            if not self.session_secret or self.session_secret == DEV_SECRET or len(self.session_secret) < 32:
                raise ValueError("production needs PORTFOLIO_PORTAL_SESSION_SECRET (32 characters or more)")
            if not self.cookie_secure:
                raise ValueError("production refuses PORTFOLIO_PORTAL_COOKIE_SECURE=false")
        return self

    def service_url(self, service: str) -> str:
        return str(getattr(self, f"{service}_url")).rstrip("/")
