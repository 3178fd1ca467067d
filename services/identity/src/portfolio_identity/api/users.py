"""Accounts of a school: staff, teachers and students, their roles, passwords and memberships."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from ..service_layer import accounts
from .deps import CallerDep, UowDep
from .schemas import MemberAdd, PasswordSet, RolesSet, UserCreate, UserPage, UserPublic, UserUpdate

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["users"])


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def create_user(school_id: str, body: UserCreate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await accounts.create_user(uow, caller, school_id, body.model_dump())
    await uow.commit()
    return result


@router.post(
    "/members",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    summary="An existing person (e.g. a teacher of another school) joins this school",
)
async def add_member(school_id: str, body: MemberAdd, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await accounts.add_member(uow, caller, school_id, body.login_name, body.roles)
    await uow.commit()
    return result


@router.get("/users", response_model=UserPage)
async def list_users(
    school_id: str,
    uow: UowDep,
    caller: CallerDep,
    kind: str | None = Query(default=None, pattern="^(student|teacher|staff)$"),
    status_: str | None = Query(default=None, alias="status", pattern="^(active|suspended|left)$"),
    q: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    return await accounts.list_users(uow, caller, school_id, kind=kind, status=status_, q=q, limit=limit, offset=offset)


@router.get("/users/{user_id}", response_model=UserPublic)
async def get_user(school_id: str, user_id: str, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    return await accounts.get_user(uow, caller, school_id, user_id)


@router.patch("/users/{user_id}", response_model=UserPublic)
async def update_user(school_id: str, user_id: str, body: UserUpdate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await accounts.update_user(uow, caller, school_id, user_id, body.changes())
    await uow.commit()
    return result


@router.put("/users/{user_id}/roles", response_model=UserPublic, summary="Replace the person's roles here")
async def set_roles(school_id: str, user_id: str, body: RolesSet, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await accounts.set_roles(uow, caller, school_id, user_id, body.roles)
    await uow.commit()
    return result


@router.put("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT, summary="Set an initial password")
async def set_password(school_id: str, user_id: str, body: PasswordSet, uow: UowDep, caller: CallerDep) -> Response:
    await accounts.set_password(uow, caller, school_id, user_id, body.password)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
