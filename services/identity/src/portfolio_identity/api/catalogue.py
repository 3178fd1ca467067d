"""The role and duty catalogue: which role holds which permissions (R-DUTY-1), for screens and services."""

from __future__ import annotations

from fastapi import APIRouter

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.permissions import Permission

from ..domain.duties import DUTY_TEMPLATES
from ..domain.roles import PLATFORM_ROLES, ROLE_NAMES_ZH, ROLE_PERMISSIONS, Role
from .schemas import DutyTemplatePublic, RoleEntry

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])


@router.get("/roles", response_model=list[RoleEntry], summary="Every role with its zh-TW name and standing permissions")
async def roles(principal: CurrentPrincipal) -> list[RoleEntry]:
    return [
        RoleEntry.model_validate(
            {
                "role": role.value,
                "name_zh": ROLE_NAMES_ZH[role],
                "platform": role in PLATFORM_ROLES,
                "permissions": sorted(p.value for p in ROLE_PERMISSIONS[role]),
            }
        )
        for role in Role
    ]


@router.get("/permissions", summary="The permission vocabulary carried in access tokens")
async def permissions(principal: CurrentPrincipal) -> list[str]:
    return [p.value for p in Permission]


@router.get(
    "/duties",
    response_model=list[DutyTemplatePublic],
    summary="The default Annex-1 duty template every new school starts from",
)
async def duty_templates(principal: CurrentPrincipal) -> list[DutyTemplatePublic]:
    return [DutyTemplatePublic.model_validate(t.as_record()) for t in DUTY_TEMPLATES]
