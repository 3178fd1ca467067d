"""Settings of the artifacts service (environment variables PORTFOLIO_ARTIFACTS_*)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from portfolio_artifacts.adapters.content_check import ContentLimits
from portfolio_artifacts.domain.file_rules import MB, FileRules
from portfolio_artifacts.domain.policy import SchoolPolicy
from portfolio_shared.config import ServiceSettings
from portfolio_shared.events.records import DEFAULT_OUTCOMES_PER_SEMESTER, DEFAULT_PERFORMANCES_PER_YEAR


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_ARTIFACTS_", env_file=".env", extra="ignore")

    service_name: str = "artifacts"
    database_url: str = "sqlite+aiosqlite:///var/artifacts.db"
    # Presigned URLs are short-lived: an upload URL only lives long enough for one PUT.
    upload_url_seconds: int = Field(default=300, ge=30, le=3600)
    download_url_seconds: int = Field(default=120, ge=10, le=3600)
    # R-FILE-1 / R-FILE-2 limits are configuration (they changed in December 2020).
    document_max_bytes: int = Field(default=4 * MB, ge=1)
    media_max_bytes: int = Field(default=10 * MB, ge=1)
    description_max_chars: int = Field(default=100, ge=1, le=1000)
    # R-ART-2 / R-PERF-1 defaults until the school's ArtifactCapsSet arrives.
    default_outcomes_per_semester: int = Field(default=DEFAULT_OUTCOMES_PER_SEMESTER, ge=1, le=1000)
    default_performances_per_year: int = Field(default=DEFAULT_PERFORMANCES_PER_YEAR, ge=1, le=1000)
    # R-FILE-3: more performance-catalogue versions as JSON files (comma-separated paths), and the
    # version new performances are validated with (default: the last file's, else the built-in 2021.1).
    catalog_files: str = ""
    performance_catalog_version: str = ""
    # Integrity verification job (every stored object against its recorded size and SHA-256).
    verify_interval_seconds: float = Field(default=3600.0, ge=0)  # 0 switches the scheduled job off
    verify_concurrency: int = Field(default=8, ge=1, le=64)
    # Threads for the blocking object-storage client (its calls run in the loop's default executor):
    # a deadline-day surge is storage-bound, asyncio's default of cpu+4 threads would queue it.
    storage_threads: int = Field(default=32, ge=4, le=256)
    # R-FILE-1: every received file is parsed as its kind in a worker process within these bounds
    # (a parser that needs longer or more memory refuses the file); two worker processes by default.
    content_check_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    content_check_max_memory_mb: int = Field(default=768, ge=16, le=16384)
    content_check_max_pixels: int = Field(default=40_000_000, ge=1)
    content_check_concurrency: int = Field(default=2, ge=1, le=32)
    # Dates (absences, extensions, authorisations "until") are school-local calendar dates.
    school_timezone: str = "Asia/Taipei"

    def file_rules(self) -> FileRules:
        return FileRules.from_mapping(
            {
                "document": {"max_bytes": self.document_max_bytes},
                "media": {"max_bytes": self.media_max_bytes},
                "description_max_chars": self.description_max_chars,
            }
        )

    def content_limits(self) -> ContentLimits:
        return ContentLimits(
            timeout_seconds=self.content_check_timeout_seconds,
            max_memory_bytes=self.content_check_max_memory_mb * MB,
            max_pixels=self.content_check_max_pixels,
            concurrency=self.content_check_concurrency,
        )

    def catalog_paths(self) -> list[Path]:
        return [Path(p.strip()) for p in self.catalog_files.split(",") if p.strip()]

    def default_policy(self) -> SchoolPolicy:
        return SchoolPolicy(
            outcomes_per_semester=self.default_outcomes_per_semester,
            performances_per_year=self.default_performances_per_year,
        )
