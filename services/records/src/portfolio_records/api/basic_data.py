"""Cadre records, service learning, rewards and punishments, psychological tests of a student.

Each is written by its own office (cadre:write, service_learning:write, rewards:write,
psych_tests:write; R-REC-2, R-DUTY-1) and read by staff with records:read or the student.
"""

from __future__ import annotations

from types import GenericAlias
from typing import Any

from fastapi import APIRouter, status

from portfolio_records.service_layer.access import require_any, require_read_student, student_here
from portfolio_records.service_layer.basic_data import KINDS, Kind, list_basic_data, record_basic_data
from portfolio_records.service_layer.commands import (
    CadreCreate,
    PsychTestCreate,
    RewardCreate,
    ServiceLearningCreate,
    TermCommand,
)
from portfolio_records.service_layer.security import RecordsCrypto
from portfolio_shared.auth import Principal
from portfolio_shared.db import UnitOfWork
from portfolio_shared.permissions import Permission

from .deps import CryptoDep, CurrentPrincipal, SchoolId, StudentId, UowDep
from .schemas import BASIC_DATA_PUBLIC, BasicDataPublic, Created

router = APIRouter(prefix="/api/v1/schools/{school_id}/students/{student_id}", tags=["basic data"])


async def _record(
    kind: Kind, school_id: str, student_id: Any, body: TermCommand, principal: Principal, uow: UnitOfWork,
    crypto: RecordsCrypto,
) -> Created:  # fmt: skip
    principal.require(kind.write, school_id, rule="R-DUTY-1")
    await student_here(uow.session, school_id, student_id)
    record_id = await record_basic_data(uow, crypto, kind, school_id, student_id, principal.user_id, body)
    await uow.commit()
    return Created(id=record_id)


@router.post(
    "/cadre-records", status_code=status.HTTP_201_CREATED, response_model=Created, summary="Record a cadre role"
)
async def add_cadre(
    school_id: SchoolId,
    student_id: StudentId,
    body: CadreCreate,
    principal: CurrentPrincipal,
    uow: UowDep,
    crypto: CryptoDep,
) -> Created:
    return await _record(KINDS["cadre"], school_id, student_id, body, principal, uow, crypto)


@router.post(
    "/service-learning", status_code=status.HTTP_201_CREATED, response_model=Created, summary="Record service learning"
)
async def add_service_learning(
    school_id: SchoolId, student_id: StudentId, body: ServiceLearningCreate, principal: CurrentPrincipal, uow: UowDep,
    crypto: CryptoDep,
) -> Created:  # fmt: skip
    return await _record(KINDS["service_learning"], school_id, student_id, body, principal, uow, crypto)


@router.post(
    "/rewards-punishments",
    status_code=status.HTTP_201_CREATED,
    response_model=Created,
    summary="Record a reward or punishment",
)
async def add_reward(
    school_id: SchoolId,
    student_id: StudentId,
    body: RewardCreate,
    principal: CurrentPrincipal,
    uow: UowDep,
    crypto: CryptoDep,
) -> Created:
    return await _record(KINDS["rewards"], school_id, student_id, body, principal, uow, crypto)


@router.post(
    "/psych-tests", status_code=status.HTTP_201_CREATED, response_model=Created, summary="Record a psychological test"
)
async def add_psych_test(
    school_id: SchoolId,
    student_id: StudentId,
    body: PsychTestCreate,
    principal: CurrentPrincipal,
    uow: UowDep,
    crypto: CryptoDep,
) -> Created:
    return await _record(KINDS["psych_tests"], school_id, student_id, body, principal, uow, crypto)


def _reader(kind: Kind) -> Any:
    async def read(
        school_id: SchoolId, student_id: StudentId, principal: CurrentPrincipal, uow: UowDep, crypto: CryptoDep
    ) -> list[BasicDataPublic]:
        require_any(principal, school_id, Permission.RECORDS_READ, Permission.RECORDS_READ_OWN, kind.write)
        row = await student_here(uow.session, school_id, student_id)
        if not principal.can(kind.write, school_id):
            require_read_student(principal, school_id, row)
        model = BASIC_DATA_PUBLIC[kind.name]
        return [model.model_validate(item) for item in await list_basic_data(uow, crypto, kind, student_id)]

    read.__name__ = f"list_{kind.name}"
    return read


for _kind in KINDS.values():
    router.add_api_route(
        f"/{_kind.path}",
        _reader(_kind),
        methods=["GET"],
        response_model=GenericAlias(list, (BASIC_DATA_PUBLIC[_kind.name],)),
        summary=f"The student's {_kind.name.replace('_', ' ')} records (from every school)",
    )
