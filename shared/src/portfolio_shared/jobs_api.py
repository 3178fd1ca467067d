"""The HTTP edge of long jobs (portfolio_shared.jobs): the 202 answer and ``GET /api/v1/jobs/{id}``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Table

from .api_deps import UowDep
from .auth import CurrentPrincipal
from .errors import not_found
from .jobs import JOBS_PATH, JobPublic, JobRunner, job_public
from .jobs import get_job as find_job
from .problems import preferred_language


def accepted(job: JobPublic, response: Response) -> JobPublic:
    """Point the 202 answer at the job resource (``Location``) and say when to look again."""
    response.headers["Location"] = job.href
    response.headers["Retry-After"] = "1"
    return job


def runner_of(request: Request) -> JobRunner | None:
    runner: JobRunner | None = getattr(request.app.state, "job_runner", None)
    return runner


def install(app: Any, runner: JobRunner) -> None:
    """Let the routes wake the runner after a job's commit and show its live progress; the runner
    itself starts with the app (``create_app(on_startup=[runner.start])``)."""
    app.state.job_runner = runner


def wake(request: Request) -> None:
    """A job was committed: the runner of this process looks now (another replica's at its next poll)."""
    runner = runner_of(request)
    if runner is not None:
        runner.wake()


def jobs_router(table: Table, readers: Mapping[str, Sequence[str]]) -> APIRouter:
    """``GET /api/v1/jobs/{job_id}``; ``readers`` maps a job kind to the permissions any of which
    lets staff of the job's school read it (the person who started it always may)."""
    router = APIRouter(prefix=JOBS_PATH, tags=["jobs"])

    @router.get(
        "/{job_id}",
        response_model=JobPublic,
        summary="A long job: status, progress and, once it has ended, its report or its problem",
    )
    async def get_job(job_id: uuid.UUID, request: Request, principal: CurrentPrincipal, uow: UowDep) -> JobPublic:
        row = await find_job(uow.session, table, job_id)
        if row is None:
            raise not_found("job")
        mine = row["owner_id"] == principal.user_id
        if not (mine or any(principal.can(p, row["school_id"]) for p in readers.get(row["kind"], ()))):
            raise not_found("job")  # another school's job, or one the caller may not read: existence does not leak
        runner = runner_of(request)
        live = runner.live.get(job_id) if runner is not None else None
        return job_public(row, live=live, lang=preferred_language(request.headers.get("accept-language")))

    return router
