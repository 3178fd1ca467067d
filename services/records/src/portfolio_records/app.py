"""ASGI entry point of the records service: `uvicorn portfolio_records.app:create --factory`.

Records (學籍與修課紀錄) is the source of who is enrolled, which courses exist, who teaches and
certifies them, the grades, counselling records and the calendar that opens and closes every
phase (R-DATA-1, R-DATA-2, R-REC-*, R-SCHED-*, R-ENR-1).
"""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from portfolio_shared import jobs_api
from portfolio_shared.jobs import JobRunner
from portfolio_shared.limits import MULTIPART_OVERHEAD_BYTES
from portfolio_shared.nightly import NightlyScheduler, parse_run_at
from portfolio_shared.problems import problem_response
from portfolio_shared.service import ServiceRuntime, create_app

from .adapters.orm import jobs
from .api import ROUTERS
from .bootstrap import bootstrap
from .config import Settings
from .domain.calendar import school_zone
from .domain.errors import RecordConflict
from .service_layer.grades import GRADE_IMPORT, run_grade_import
from .service_layer.nightly_sync import replica_name, start_nightly_sync
from .service_layer.retention import run_purge_night
from .service_layer.security import RecordsCrypto

log = logging.getLogger(__name__)


async def integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A concurrent request won a uniqueness race (same student number, course code, national ID).
    log.warning("integrity conflict on %s %s", request.method, request.url.path)
    return problem_response(RecordConflict("the record collides with another one"), request)


def start_retention_purge(runtime: ServiceRuntime) -> None:
    """The in-process scheduler of the nightly retention purge (R-RET-1), once per school and night."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    if not settings.retention_purge_scheduler:
        return
    owner = replica_name()
    scheduler = NightlyScheduler(
        lambda night: run_purge_night(runtime, settings, night, owner),
        run_at=parse_run_at(settings.retention_purge_at),
        zone=school_zone(settings.nightly_time_zone),
    )
    runtime.run_in_background(scheduler.run_forever())


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    assert isinstance(runtime.settings, Settings)
    # Long jobs (grade imports) run in every replica; each job is leased, so one replica runs it.
    runner = JobRunner(runtime, jobs, {GRADE_IMPORT: run_grade_import})
    app = create_app(
        runtime,
        title="Records service: enrolment, courses, grades, basic data, counselling, calendar (學籍與修課紀錄)",
        description=__doc__ or "",
        routers=ROUTERS,
        on_startup=[start_nightly_sync, start_retention_purge, runner.start],
    )
    jobs_api.install(app, runner)
    app.state.crypto = RecordsCrypto.from_settings(runtime.settings)
    # The grade CSV may be as large as its documented maximum; every JSON route keeps the small default.
    app.state.body_limits["/api/v1/schools/{school_id}/grade-imports"] = (
        runtime.settings.grade_file_max_bytes + MULTIPART_OVERHEAD_BYTES
    )
    app.add_exception_handler(IntegrityError, integrity_error)
    return app
