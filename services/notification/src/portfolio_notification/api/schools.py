"""A school's notification settings: reminder days, name and return address, wording overrides."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.permissions import Permission

from ..domain.commands import SetSchoolSettings, SetTemplateOverride
from ..domain.model import Trigger
from ..service_layer.handlers import handle
from .deps import ONE_LINE, DepsDep
from .schemas import Done, SchoolSettingsUpdate, TemplateOverride

router = APIRouter(prefix="/api/v1/schools", tags=["schools"])

SchoolP = Annotated[str, Path(min_length=1, max_length=64, pattern=ONE_LINE)]


@router.put("/{school_id}/settings", response_model=Done)
async def set_settings(
    deps: DepsDep, actor: CurrentPrincipal, school_id: SchoolP, body: SchoolSettingsUpdate
) -> dict[str, Any]:
    actor.require(Permission.SCHEDULE_WRITE, school_id, rule="R-SCHED-1")
    async with deps.uow() as uow:
        await handle(SetSchoolSettings(school_id, body.reminder_days, body.school_name, body.return_address), uow, deps)
        await uow.commit()
    return {"ok": True}


@router.put("/{school_id}/templates/{trigger}/{channel}", response_model=Done)
async def set_template(
    deps: DepsDep,
    actor: CurrentPrincipal,
    school_id: SchoolP,
    trigger: Trigger,
    channel: Literal["message", "postal"],
    body: TemplateOverride,
) -> dict[str, Any]:
    """A school's own wording (Jinja2, zh-TW first): ``message`` is inbox and e-mail, ``postal`` the letter."""
    actor.require(Permission.SCHEDULE_WRITE, school_id, rule="R-SCHED-1")
    async with deps.uow() as uow:
        await handle(SetTemplateOverride(school_id, trigger, channel, body.subject, body.body), uow, deps)
        await uow.commit()
    return {"ok": True}
