"""A person's own e-mail preferences: reminders may be switched off, receipts may not (R-SUB-7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from portfolio_shared.auth import CurrentPrincipal

from ..domain.commands import SetPreferences
from ..service_layer import queries
from ..service_layer.handlers import handle
from .deps import DepsDep
from .schemas import PreferencesPublic, PreferencesUpdate

router = APIRouter(prefix="/api/v1/preferences", tags=["preferences"])


@router.get("/me", response_model=PreferencesPublic)
async def my_preferences(deps: DepsDep, actor: CurrentPrincipal) -> dict[str, Any]:
    """The e-mail address on record is shown masked."""
    return await queries.preferences(deps, actor.user_id)


@router.put("/me", response_model=PreferencesPublic)
async def set_my_preferences(deps: DepsDep, actor: CurrentPrincipal, body: PreferencesUpdate) -> dict[str, Any]:
    async with deps.uow() as uow:
        await handle(SetPreferences(actor.user_id, body.email_reminders, body.email_receipts), uow, deps)
        await uow.commit()
    return await queries.preferences(deps, actor.user_id)
