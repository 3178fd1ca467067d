"""Each person's inbox in the platform: list, unread count, mark read — only their own schools' messages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from portfolio_shared.auth import CurrentPrincipal

from ..domain.commands import MarkRead
from ..service_layer import queries
from ..service_layer.handlers import handle
from .deps import ONE_LINE, DepsDep, Limit, Offset
from .schemas import Done, InboxPage, UnreadCount

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"])

SchoolFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ONE_LINE)]


@router.get("", response_model=InboxPage)
async def list_messages(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolFilter = None,
    unread: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Newest first. ``school_id`` narrows to one of the caller's schools; others are never shown."""
    items, total = await queries.inbox(deps, actor.user_id, _scope(actor.school_ids, school_id), unread, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/unread-count", response_model=UnreadCount)
async def unread_count(deps: DepsDep, actor: CurrentPrincipal, school_id: SchoolFilter = None) -> dict[str, Any]:
    _, total = await queries.inbox(deps, actor.user_id, _scope(actor.school_ids, school_id), True, 1, 0)
    return {"unread": total}


@router.post("/{message_id}/read", response_model=Done)
async def mark_read(
    deps: DepsDep, actor: CurrentPrincipal, message_id: Annotated[str, Path(min_length=1, max_length=64)]
) -> dict[str, Any]:
    async with deps.uow() as uow:
        await handle(MarkRead(actor.user_id, actor.school_ids, message_id), uow, deps)
        await uow.commit()
    return {"ok": True}


def _scope(schools: frozenset[str], school_id: str | None) -> list[str]:
    if school_id is None:
        return sorted(schools)
    return [school_id] if school_id in schools else []
