"""The role and duty catalogue: which role holds which permissions (R-DUTY-1), for screens and services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.permissions import Permission

from ..domain.duties import DUTY_TEMPLATES
from ..domain.roles import PLATFORM_ROLES, ROLE_NAMES_ZH, ROLE_PERMISSIONS, Role

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])


@router.get("/roles", summary="Every role with its zh-TW name and standing permissions")
async def roles(principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [
        {
            "role": role.value,
            "name_zh": ROLE_NAMES_ZH[role],
            "platform": role in PLATFORM_ROLES,
            "permissions": sorted(p.value for p in ROLE_PERMISSIONS[role]),
        }
        for role in Role
    ]


@router.get("/permissions", summary="The permission vocabulary carried in access tokens")
async def permissions(principal: CurrentPrincipal) -> list[str]:
    return [p.value for p in Permission]


@router.get("/duties", summary="The default Annex-1 duty template every new school starts from")
async def duty_templates(principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [
        {
            "code": t.code,
            "name_en": t.name_en,
            "name_zh": t.name_zh,
            "area": t.area.value,
            "responsible_roles": [r.value for r in t.responsible_roles],
            "default_delegate_roles": [r.value for r in t.default_delegate_roles],
            "permissions": sorted(p.value for p in t.permissions),
            "note": t.note,
        }
        for t in DUTY_TEMPLATES
    ]
