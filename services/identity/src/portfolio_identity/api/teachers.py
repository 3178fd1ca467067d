"""Teachers who leave (R-ART-5): extended accounts and on-behalf authorisations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from ..service_layer import teachers
from .deps import CallerDep, UowDep
from .schemas import ExtensionCreate, ExtensionPublic, OnBehalfCreate, OnBehalfPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["teachers"])


@router.post(
    "/users/{user_id}/extension",
    response_model=ExtensionPublic,
    summary="Keep a leaving teacher's account for certification only, until a date (R-ART-5)",
)
async def extend(school_id: str, user_id: str, body: ExtensionCreate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await teachers.extend_teacher(uow, caller, school_id, user_id, body.until)
    await uow.commit()
    return result


@router.post(
    "/on-behalf",
    response_model=OnBehalfPublic,
    status_code=status.HTTP_201_CREATED,
    summary="A teacher authorises a staff member to certify on their behalf (R-ART-5)",
)
async def authorise(school_id: str, body: OnBehalfCreate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await teachers.authorise_on_behalf(
        uow, caller, school_id, body.staff_user_id, body.until, body.teacher_user_id
    )
    await uow.commit()
    return result


@router.get("/on-behalf", response_model=list[OnBehalfPublic])
async def list_authorisations(school_id: str, uow: UowDep, caller: CallerDep) -> list[dict[str, Any]]:
    return await teachers.list_on_behalf(uow, caller, school_id)


@router.delete("/on-behalf/{authorisation_id}", response_model=OnBehalfPublic)
async def revoke(school_id: str, authorisation_id: str, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await teachers.revoke_on_behalf(uow, caller, school_id, authorisation_id)
    await uow.commit()
    return result
