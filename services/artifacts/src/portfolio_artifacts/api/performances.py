"""Multiple performances (多元表現): upload, selection, reading (R-PERF-1, R-PERF-2, R-FILE-3)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from portfolio_artifacts.domain.performances import catalog_to_dict
from portfolio_artifacts.service_layer import commands as c
from portfolio_artifacts.service_layer import queries
from portfolio_artifacts.service_layer.handlers import handle
from portfolio_shared.auth import CurrentPrincipal

from .deps import DepsDep, IdempotencyKey
from .idempotency import claim_for, run
from .outcomes import PROBLEMS
from .schemas import (
    ONE_LINE,
    CatalogPublic,
    DownloadPublic,
    NewFilesCreate,
    PerformancePublic,
    PerformanceUploadCreate,
    PerformanceUploadStarted,
)

router = APIRouter(prefix="/api/v1/performances", tags=["performances"])


@router.get("/catalog", response_model=CatalogPublic, response_model_exclude_none=True)
async def catalog(deps: DepsDep, actor: CurrentPrincipal) -> CatalogPublic:
    """The categories and their fields, as the central database's workbook has them (R-FILE-3)."""
    return CatalogPublic.model_validate(catalog_to_dict(deps.catalogs.get(deps.current_catalog)))


@router.post("/uploads", status_code=201, response_model=PerformanceUploadStarted, responses=PROBLEMS)
async def start_upload(
    body: PerformanceUploadCreate, request: Request, deps: DepsDep, actor: CurrentPrincipal, key: IdempotencyKey = None
) -> JSONResponse:
    """Start a performance inside the yearly window, under the school's cap (R-PERF-1)."""
    claim = claim_for(actor, key, "POST", request.url.path, body, 201)
    cmd = c.StartPerformanceUpload(
        actor,
        body.school_id,
        body.academic_year,
        body.category,
        body.description,
        dict(body.fields),
        tuple(f.to_command() for f in body.files),
        idempotency=claim,
    )
    return await run(cmd, deps, 201, PerformanceUploadStarted)


@router.post("/{performance_id}/files", status_code=201, response_model=PerformanceUploadStarted, responses=PROBLEMS)
async def declare_new_files(
    performance_id: uuid.UUID,
    body: NewFilesCreate,
    request: Request,
    deps: DepsDep,
    actor: CurrentPrincipal,
    key: IdempotencyKey = None,
) -> JSONResponse:
    claim = claim_for(actor, key, "POST", request.url.path, body, 201)
    cmd = c.DeclareNewFiles(
        actor, "performance", performance_id, tuple(f.to_command() for f in body.files), idempotency=claim
    )
    return await run(cmd, deps, 201, PerformanceUploadStarted)


@router.post("/{performance_id}/complete", response_model=PerformancePublic, responses=PROBLEMS)
async def complete_upload(
    performance_id: uuid.UUID, request: Request, deps: DepsDep, actor: CurrentPrincipal, key: IdempotencyKey = None
) -> JSONResponse:
    claim = claim_for(actor, key, "POST", request.url.path, {}, 200)
    cmd = c.CompleteUpload(actor, "performance", performance_id, idempotency=claim)
    return await run(cmd, deps, 200, PerformancePublic)


@router.post("/{performance_id}/withdraw", response_model=PerformancePublic, responses=PROBLEMS)
async def withdraw(performance_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    return await handle(c.WithdrawArtifact(actor, "performance", performance_id), deps)


@router.put("/{performance_id}/selection", response_model=PerformancePublic, responses=PROBLEMS)
async def select(performance_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    """Select for submission; at most 10 per academic year, inside the window (R-PERF-2)."""
    return await handle(c.ChangeSelection(actor, "performance", performance_id, True), deps)


@router.delete("/{performance_id}/selection", response_model=PerformancePublic, responses=PROBLEMS)
async def deselect(performance_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    return await handle(c.ChangeSelection(actor, "performance", performance_id, False), deps)


@router.get("", response_model=list[PerformancePublic])
async def list_performances(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    student_user_id: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    academic_year: Annotated[int | None, Query(ge=0, le=10_000)] = None,
    category: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    status: Annotated[str | None, Query(max_length=16, pattern=ONE_LINE)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    filters = {
        "school_id": school_id,
        "student_user_id": student_user_id,
        "academic_year": academic_year,
        "category": category,
        "status": status,
    }
    return await queries.list_performances(deps, actor, filters, limit, offset)


@router.get("/{performance_id}", response_model=PerformancePublic, responses=PROBLEMS)
async def get_performance(performance_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    return await queries.get_performance(deps, actor, performance_id)


@router.get("/{performance_id}/files/{file_id}/download", response_model=DownloadPublic, responses=PROBLEMS)
async def download(
    performance_id: uuid.UUID, file_id: uuid.UUID, deps: DepsDep, actor: CurrentPrincipal
) -> dict[str, Any]:
    return await queries.download(deps, actor, "performance", performance_id, file_id)
