"""ASGI entry point of the artifacts service: `uvicorn portfolio_artifacts.app:create --factory`.

Course learning outcomes (課程學習成果) and multiple performances (多元表現): uploads straight to object
storage through presigned URLs, verified on completion (size, SHA-256, real type); certification by the
course teacher or whoever acts for them; yearly selection for submission; self-check reports; a
scheduled integrity check of every stored file.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .api import drafts, history, outcomes, performances, selfcheck
from .bootstrap import bootstrap, make_deps
from .config import Settings
from .jobs import IntegrityJob
from .service_layer.progress import observe_progress_forever

_configured_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def _storage_threads(count: int) -> None:
    """Give the loop's default executor (where the storage client's calls run) enough threads, once."""
    loop = asyncio.get_running_loop()
    if loop not in _configured_loops:
        loop.set_default_executor(ThreadPoolExecutor(max_workers=count, thread_name_prefix="artifacts-storage"))
        _configured_loops.add(loop)


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    deps = make_deps(runtime)
    app = create_app(
        runtime,
        title="Artifacts service: course learning outcomes and multiple performances (課程學習成果與多元表現)",
        description=__doc__ or "",
        routers=[outcomes.router, performances.router, selfcheck.router, history.router, drafts.router],
    )
    app.state.deps = deps
    job = IntegrityJob(deps, deps.settings.verify_interval_seconds)
    app.state.integrity_job = job
    chassis_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _storage_threads(deps.settings.storage_threads)
        async with chassis_lifespan(app):
            job.start()
            runtime.run_in_background(observe_progress_forever(deps))  # the deadline-day gauges (issue 17)
            try:
                yield
            finally:
                await job.stop()
                if deps.content is not None:
                    await deps.content.close()  # the file parsers' worker processes (R-FILE-1)

    app.router.lifespan_context = lifespan
    return app
