"""Districts and schools (tenants)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from ..domain.roles import Role
from ..service_layer import admin, tenants
from .deps import CallerDep, UowDep
from .schemas import DistrictCreate, DistrictPublic, PlatformRoleGrant, SchoolCreate, SchoolPublic, SchoolUpdate

districts_router = APIRouter(prefix="/api/v1/districts", tags=["schools"])
router = APIRouter(prefix="/api/v1/schools", tags=["schools"])


@districts_router.post("", response_model=DistrictPublic, status_code=status.HTTP_201_CREATED)
async def create_district(body: DistrictCreate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await tenants.create_district(uow, caller, body.code, body.name)
    await uow.commit()
    return result


@districts_router.get("", response_model=list[DistrictPublic])
async def list_districts(uow: UowDep, caller: CallerDep) -> list[dict[str, Any]]:
    return await tenants.list_districts(uow, caller)


@districts_router.post(
    "/{district_id}/admins",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Appoint a district administrator (system administrators only)",
)
async def add_district_admin(district_id: str, body: PlatformRoleGrant, uow: UowDep, caller: CallerDep) -> None:
    await admin.grant_platform_role(uow, caller, body.user_id, Role.DISTRICT_ADMIN, district_id)
    await uow.commit()


@router.post(
    "",
    response_model=SchoolPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a school (seeded with the Annex-1 duties, R-DUTY-1)",
)
async def create_school(body: SchoolCreate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await tenants.create_school(uow, caller, body.code, body.name, body.district_id)
    await uow.commit()
    return result


@router.get("", response_model=list[SchoolPublic])
async def list_schools(uow: UowDep, caller: CallerDep, district_id: str | None = None) -> list[dict[str, Any]]:
    return await tenants.list_schools(uow, caller, district_id)


@router.get("/{school_id}", response_model=SchoolPublic)
async def get_school(school_id: str, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    return await tenants.get_school(uow, caller, school_id)


@router.patch("/{school_id}", response_model=SchoolPublic)
async def update_school(school_id: str, body: SchoolUpdate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await tenants.update_school(uow, caller, school_id, body.name, body.district_id)
    await uow.commit()
    return result
