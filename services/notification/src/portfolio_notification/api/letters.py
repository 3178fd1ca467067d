"""Postal letters for students who left (R-SUB-9), for the guidance data section (資料組, R-SUB-8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.permissions import Permission

from ..service_layer import queries
from .deps import ONE_LINE, DepsDep, SchoolQ

router = APIRouter(prefix="/api/v1/letters", tags=["letters"])

_PDF: dict[int | str, dict[str, object]] = {200: {"content": {"application/pdf": {}}, "description": "A4 PDF"}}


@router.get("/batch.pdf", response_class=Response, responses=_PDF)
async def batch_pdf(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    receipt_id: Annotated[str, Query(min_length=1, max_length=64, pattern=ONE_LINE)],
) -> Response:
    """Every letter of one receipt at one school, one per page, for printing and window envelopes."""
    actor.require(Permission.RECEIPT_COMPLETE, school_id, rule="R-SUB-9")
    pdf = await queries.letters_pdf(deps, school_id, receipt_id, None)
    return _pdf_response(pdf, f"letters-{receipt_id}.pdf")


@router.get("/{delivery_id}.pdf", response_class=Response, responses=_PDF)
async def one_pdf(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    delivery_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> Response:
    actor.require(Permission.RECEIPT_COMPLETE, school_id, rule="R-SUB-9")
    pdf = await queries.letters_pdf(deps, school_id, None, delivery_id)
    return _pdf_response(pdf, f"letter-{delivery_id}.pdf")


def _pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
