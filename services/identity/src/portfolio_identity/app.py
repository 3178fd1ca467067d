"""ASGI entry point of the identity service: `uvicorn portfolio_identity.app:create --factory`.

Districts and schools (tenants), accounts, roles and permissions, Annex-1 duties with ordered
delegates (R-DUTY-1, R-DUTY-2), leaving teachers (R-ART-5), tokens and JWKS, nightly SIS sync
(R-DUTY-3) and the audit trail.
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Receive, Scope, Send

from portfolio_shared import jobs_api
from portfolio_shared.errors import Conflict
from portfolio_shared.jobs import JobRunner
from portfolio_shared.limits import MULTIPART_OVERHEAD_BYTES
from portfolio_shared.problems import Problem, problem_response
from portfolio_shared.service import ServiceRuntime, create_app

from .adapters.orm import jobs
from .api import auth, catalogue, duties, schools, sync, teachers, users
from .api.token_cors import TokenEndpointCORS
from .bootstrap import bootstrap
from .config import Settings
from .service_layer.nightly_sync import start_nightly_sync
from .service_layer.startup import on_startup
from .service_layer.sync import SIS_ACCOUNT_SYNC, sync_job


class RejectNulInUrl:
    """PostgreSQL text cannot hold NUL: a path or query with one is bad input (422), not a server error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"].lower()):
            problem = Problem(
                422, "validation-failed", "Validation failed", "資料驗證失敗", "the URL must not contain NUL characters"
            )
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # Two requests raced for the same unique name (login, school code…): the loser gets a conflict.
    problem = Conflict(
        "the data was changed by another request at the same time; reload and retry", code="concurrent-change"
    )
    return problem_response(problem, request)


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    assert isinstance(runtime.settings, Settings)
    # Long jobs (SIS syncs by upload) run in every replica; each job is leased, so one replica runs it.
    runner = JobRunner(runtime, jobs, {SIS_ACCOUNT_SYNC: sync_job(runtime.settings.sync_max_deactivation_share)})
    app = create_app(
        runtime,
        title="Identity service: districts, schools, accounts, roles, duties and delegates, tokens (身分與權限)",
        description=__doc__ or "",
        routers=[
            auth.router,
            auth.jwks_router,
            auth.keys_router,
            schools.districts_router,
            schools.router,
            users.router,
            duties.router,
            teachers.router,
            sync.router,
            sync.audit_router,
            sync.platform_audit_router,
            sync.job_router,
            catalogue.router,
        ],
        on_startup=[on_startup, start_nightly_sync, runner.start],
        migrate_on_start=runtime.settings.environment == "development",
    )
    jobs_api.install(app, runner)
    # The SIS export may be as large as its documented maximum; every JSON route keeps the small default.
    app.state.body_limits["/api/v1/schools/{school_id}/sis-sync"] = (
        runtime.settings.sync_max_file_bytes + MULTIPART_OVERHEAD_BYTES
    )
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_middleware(RejectNulInUrl)
    app.add_middleware(TokenEndpointCORS, origins=runtime.settings.token_cors_origins)
    return app
