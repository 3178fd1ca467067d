"""What every use case needs, wired once in ``bootstrap.make_deps`` (tests swap the clock here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from portfolio_central.layouts import LayoutSet
from portfolio_central.layouts import load as load_layouts
from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.service import ServiceRuntime
from portfolio_submission.config import Settings


@dataclass
class Deps:
    runtime: ServiceRuntime
    settings: Settings
    layouts: LayoutSet = field(init=False)
    clock: Callable[[], datetime] = utcnow

    def __post_init__(self) -> None:
        self.layouts = load_layouts(self.settings.layout_version)

    def uow(self) -> UnitOfWork:
        return self.runtime.uow()

    def now(self) -> datetime:
        return self.clock()

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def today(self) -> date:
        """The school-local date (absences are school dates)."""
        return self.now().astimezone(self.zone).date()
