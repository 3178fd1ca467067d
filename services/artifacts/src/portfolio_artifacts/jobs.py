"""The scheduled integrity verification, run in the app's lifespan every ``verify_interval_seconds``."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .service_layer.context import Deps
from .service_layer.integrity import IntegrityReport, verify_stored_files

log = logging.getLogger(__name__)


class IntegrityJob:
    def __init__(self, deps: Deps, interval: float) -> None:
        self.deps = deps
        self.interval = interval
        self.last_report: IntegrityReport | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="artifacts-integrity-job")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.last_report = await verify_stored_files(self.deps)
            except Exception:  # the next run tries again; a failing job must not stop the service
                log.exception("integrity verification failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
