"""Settings of the emulator (environment ``PORTFOLIO_CENTRAL_<NAME>``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_CENTRAL_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var/central")
    # A JSON list of windows ({kind, academic_year, semester, opens_at, closes_at, label}) read at start.
    windows_file: Path | None = None
    # When set, /admin routes need "Authorization: Bearer <token>"; unset they are open (a local emulator).
    admin_token: str | None = None
    layout_version: str = "2021.1"
    max_package_bytes: int = Field(default=8 * 1024**3, ge=1)
    # How long a "hang" fault holds a request before it finally answers 503.
    hang_seconds: float = Field(default=600.0, gt=0)
    timezone: str = "Asia/Taipei"
