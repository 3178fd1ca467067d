"""The delivery log of a school: what was sent, what failed (this service's dead letters), retry."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.permissions import Permission

from ..domain.commands import RetryDelivery
from ..service_layer import queries
from ..service_layer.handlers import handle
from .deps import DepsDep, Limit, Offset, SchoolQ
from .schemas import DeliveryPage, Done

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])


@router.get("", response_model=DeliveryPage)
async def list_deliveries(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    status: Annotated[Literal["pending", "sent", "failed", "ready"] | None, Query()] = None,
    channel: Annotated[Literal["inbox", "email", "postal"] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Recipients by user id only; no address and no text leaves here."""
    actor.require(Permission.RECEIPT_COMPLETE, school_id, rule="R-SUB-8")
    items, total = await queries.deliveries(deps, school_id, status, channel, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post("/{delivery_id}/retry", response_model=Done)
async def retry(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolQ,
    delivery_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> dict[str, Any]:
    """Send a failed e-mail again (after the address or the server was fixed)."""
    actor.require(Permission.RECEIPT_COMPLETE, school_id, rule="R-SUB-8")
    async with deps.uow() as uow:
        await handle(RetryDelivery(frozenset({school_id}), delivery_id), uow, deps)
        await uow.commit()
    return {"ok": True}
