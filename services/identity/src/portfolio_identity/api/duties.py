"""Duties (工作職掌), delegation orders (代理順位), who acts now, and absences (R-DUTY-1, R-DUTY-2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from ..service_layer import duties
from .deps import CallerDep, UowDep
from .schemas import (
    AbsenceCreate,
    AbsencePublic,
    ActingPublic,
    Day,
    DelegationOrder,
    DutyCreate,
    DutyPublic,
    DutyUpdate,
)

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["duties"])


@router.get("/duties", response_model=list[DutyPublic])
async def list_duties(school_id: str, uow: UowDep, caller: CallerDep) -> list[dict[str, Any]]:
    return await duties.list_duties(uow, caller, school_id)


@router.post("/duties", response_model=DutyPublic, status_code=status.HTTP_201_CREATED)
async def create_duty(school_id: str, body: DutyCreate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await duties.create_duty(uow, caller, school_id, body.model_dump())
    await uow.commit()
    return result


@router.get("/duties/{code}", response_model=DutyPublic)
async def get_duty(school_id: str, code: str, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    return await duties.get_duty(uow, caller, school_id, code)


@router.patch("/duties/{code}", response_model=DutyPublic)
async def update_duty(school_id: str, code: str, body: DutyUpdate, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await duties.update_duty(uow, caller, school_id, code, body.model_dump(exclude_unset=True))
    await uow.commit()
    return result


@router.put("/duties/{code}/order", response_model=DutyPublic, summary="Set responsible persons and ordered delegates")
async def set_order(school_id: str, code: str, body: DelegationOrder, uow: UowDep, caller: CallerDep) -> dict[str, Any]:
    result = await duties.set_order(uow, caller, school_id, code, body.responsible_user_ids, body.delegate_user_ids)
    await uow.commit()
    return result


@router.get(
    "/duties/{code}/acting",
    response_model=ActingPublic,
    summary="Who acts for this duty on a day (first available in order, R-DUTY-2)",
)
async def who_acts(
    school_id: str,
    code: str,
    uow: UowDep,
    caller: CallerDep,
    on: Day | None = None,
    teacher_user_id: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[\x21-\x7e]+$",
            description="outcome_certification only: who certifies this course teacher's outcomes (R-ART-5)",
        ),
    ] = None,
) -> dict[str, Any]:
    return await duties.who_acts(uow, caller, school_id, code, on, teacher_user_id)


@router.get("/absences", response_model=list[AbsencePublic])
async def list_absences(
    school_id: str, uow: UowDep, caller: CallerDep, user_id: str | None = None
) -> list[dict[str, Any]]:
    return await duties.list_absences(uow, caller, school_id, user_id)


@router.post(
    "/users/{user_id}/absences",
    response_model=AbsencePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Mark a person absent; their duties pass to the next delegate (R-DUTY-2)",
)
async def mark_absence(
    school_id: str, user_id: str, body: AbsenceCreate, uow: UowDep, caller: CallerDep
) -> dict[str, Any]:
    result = await duties.mark_absence(uow, caller, school_id, user_id, body.starts_on, body.ends_on, body.reason)
    await uow.commit()
    return result


@router.delete("/absences/{absence_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_absence(school_id: str, absence_id: str, uow: UowDep, caller: CallerDep) -> Response:
    await duties.cancel_absence(uow, caller, school_id, absence_id)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
