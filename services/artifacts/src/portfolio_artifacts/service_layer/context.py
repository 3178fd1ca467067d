"""What every handler needs, wired once in ``bootstrap.py`` (tests swap the clock or the rules here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from portfolio_artifacts.adapters.content_check import ContentChecker
from portfolio_artifacts.config import Settings
from portfolio_artifacts.domain.file_rules import FileRules
from portfolio_artifacts.domain.performances import DEFAULT_CATALOG, CatalogRegistry
from portfolio_artifacts.service_layer.authority import Moment
from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.storage import ObjectStorage


@dataclass
class Deps:
    runtime: ServiceRuntime
    settings: Settings
    rules: FileRules
    catalogs: CatalogRegistry = field(default_factory=lambda: CatalogRegistry(DEFAULT_CATALOG))
    current_catalog: str = DEFAULT_CATALOG.version
    clock: Callable[[], datetime] = utcnow
    content: ContentChecker | None = None  # built from the settings unless a test swaps it

    def __post_init__(self) -> None:
        if self.content is None:
            self.content = ContentChecker(self.settings.content_limits())

    def uow(self) -> UnitOfWork:
        return self.runtime.uow()

    @property
    def storage(self) -> ObjectStorage:
        if self.runtime.storage is None:
            raise RuntimeError("the artifacts service needs object storage (bootstrap with_storage=True)")
        return self.runtime.storage

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The school-local calendar date (absences and 'until' dates are school dates)."""
        return self.now().astimezone(ZoneInfo(self.settings.school_timezone)).date()

    def moment(self) -> Moment:
        """Now in the school's time zone (certification windows and absences, R-ART-5)."""
        return Moment(self.now(), ZoneInfo(self.settings.school_timezone))

    @property
    def upload_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.upload_url_seconds)

    @property
    def download_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.download_url_seconds)
