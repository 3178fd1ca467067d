"""Course learning outcomes (課程學習成果): upload, certification, selection, reading (R-ART-1..5)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from portfolio_artifacts.service_layer import commands as c
from portfolio_artifacts.service_layer import queries
from portfolio_artifacts.service_layer.handlers import handle
from portfolio_shared.auth import CurrentPrincipal

from .deps import DepsDep, IdempotencyKey
from .idempotency import claim_for, run
from .schemas import (
    ONE_LINE,
    DownloadPublic,
    NewFilesCreate,
    OutcomePublic,
    OutcomeUploadCreate,
    OutcomeUploadStarted,
    ReturnCreate,
)

router = APIRouter(prefix="/api/v1/outcomes", tags=["outcomes"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Forbidden (problem+json)"},
    404: {"description": "Not found or not visible (problem+json)"},
    409: {"description": "Outside the window, over a cap, or wrong state (problem+json, states the window)"},
    422: {"description": "Invalid input, refused file (problem+json with field and rule)"},
}


@router.post("/uploads", status_code=201, response_model=OutcomeUploadStarted, responses=PROBLEMS)
async def start_upload(
    body: OutcomeUploadCreate, request: Request, deps: DepsDep, actor: CurrentPrincipal, key: IdempotencyKey = None
) -> JSONResponse:
    """Start an outcome: checks course, window (R-ART-1), cap (R-ART-2) and declared files (R-FILE-1/2);
    returns one presigned PUT per file."""
    claim = claim_for(actor, key, "POST", request.url.path, body, 201)
    cmd = c.StartOutcomeUpload(
        actor,
        body.course_id,
        body.title,
        body.description,
        tuple(f.to_command() for f in body.files),
        idempotency=claim,
    )
    return await run(cmd, deps, 201, OutcomeUploadStarted)


@router.post("/{outcome_id}/files", status_code=201, response_model=OutcomeUploadStarted, responses=PROBLEMS)
async def declare_new_files(
    outcome_id: uuid.UUID,
    body: NewFilesCreate,
    request: Request,
    deps: DepsDep,
    actor: CurrentPrincipal,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """A new version of a returned outcome (a new object; the old stays), or replacements for refused files."""
    claim = claim_for(actor, key, "POST", request.url.path, body, 201)
    cmd = c.DeclareNewFiles(actor, "outcome", outcome_id, tuple(f.to_command() for f in body.files), idempotency=claim)
    return await run(cmd, deps, 201, OutcomeUploadStarted)


@router.post("/{outcome_id}/complete", response_model=OutcomePublic, responses=PROBLEMS)
async def complete_upload(
    outcome_id: uuid.UUID, request: Request, deps: DepsDep, actor: CurrentPrincipal, key: IdempotencyKey = None
) -> JSONResponse:
    """Verify the uploaded bytes (size, SHA-256, real type); refused objects are deleted (R-FILE-1)."""
    claim = claim_for(actor, key, "POST", request.url.path, {}, 200)
    cmd = c.CompleteUpload(actor, "outcome", outcome_id, idempotency=claim)
    return await run(cmd, deps, 200, OutcomePublic)


@router.post("/{outcome_id}/withdraw", response_model=OutcomePublic, responses=PROBLEMS)
async def withdraw(outcome_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    return await handle(c.WithdrawArtifact(actor, "outcome", outcome_id), deps)


@router.post("/{outcome_id}/certify", response_model=OutcomePublic, responses=PROBLEMS)
async def certify(
    outcome_id: uuid.UUID, request: Request, deps: DepsDep, actor: CurrentPrincipal, key: IdempotencyKey = None
) -> JSONResponse:
    """Certify (認證) inside the certification window; records who and on whose behalf (R-ART-3, R-ART-5).
    A retry with the same ``Idempotency-Key`` replays the first answer instead of a 409."""
    claim = claim_for(actor, key, "POST", request.url.path, {}, 200)
    return await run(c.CertifyOutcome(actor, outcome_id, idempotency=claim), deps, 200, OutcomePublic)


@router.post("/{outcome_id}/return", response_model=OutcomePublic, responses=PROBLEMS)
async def return_to_student(
    outcome_id: uuid.UUID,
    body: ReturnCreate,
    request: Request,
    deps: DepsDep,
    actor: CurrentPrincipal,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Return (退回) with a reason (R-ART-3); ``Idempotency-Key`` as for certify."""
    claim = claim_for(actor, key, "POST", request.url.path, body, 200)
    return await run(c.ReturnOutcome(actor, outcome_id, body.reason, idempotency=claim), deps, 200, OutcomePublic)


@router.put("/{outcome_id}/selection", response_model=OutcomePublic, responses=PROBLEMS)
async def select(outcome_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    """Select (勾選) a certified outcome; at most 6 per academic year, inside the window (R-ART-4)."""
    return await handle(c.ChangeSelection(actor, "outcome", outcome_id, True), deps)


@router.delete("/{outcome_id}/selection", response_model=OutcomePublic, responses=PROBLEMS)
async def deselect(outcome_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    return await handle(c.ChangeSelection(actor, "outcome", outcome_id, False), deps)


@router.get("", response_model=list[OutcomePublic])
async def list_outcomes(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    student_user_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    course_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    academic_year: Annotated[int | None, Query(ge=0, le=10_000)] = None,
    semester: Annotated[int | None, Query(ge=1, le=2)] = None,
    status: Annotated[str | None, Query(max_length=16, pattern=ONE_LINE)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Outcomes the caller may see: their own, those of courses they certify or act for, or their school's."""
    filters = {
        "school_id": school_id,
        "student_user_id": student_user_id,
        "course_id": course_id,
        "academic_year": academic_year,
        "semester": semester,
        "status": status,
    }
    return await queries.list_outcomes(deps, actor, filters, limit, offset)


@router.get("/{outcome_id}", response_model=OutcomePublic, responses=PROBLEMS)
async def get_outcome(outcome_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    return await queries.get_outcome(deps, actor, outcome_id)


@router.get("/{outcome_id}/files/{file_id}/download", response_model=DownloadPublic, responses=PROBLEMS)
async def download(outcome_id: uuid.UUID, file_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    """A short-lived presigned GET with a safe Content-Disposition."""
    return await queries.download(deps, actor, "outcome", outcome_id, file_id)
