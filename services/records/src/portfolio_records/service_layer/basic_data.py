"""Other basic data, each entered by its own office (R-DATA-1 Annex 1, R-REC-2, R-DUTY-1):
cadre records (幹部紀錄, activities section), service learning (服務學習), rewards and punishments
(獎懲, discipline section) and psychological tests (心理測驗, guidance data section)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from portfolio_records.adapters import basic_data as basic_data_store
from portfolio_records.adapters.orm import cadre_records, psych_tests, rewards_punishments, service_learning
from portfolio_records.domain.calendar import Phase
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.records import CadreRecorded
from portfolio_shared.permissions import Permission

from .audit import audit, now
from .commands import CadreCreate, PsychTestCreate, RewardCreate, ServiceLearningCreate, TermCommand
from .retention import refuse_if_sealed
from .security import RecordsCrypto
from .windows import require_open


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of basic data: its table, the office's write permission, its path segment."""

    name: str
    path: str
    table: Table
    write: Permission
    command: type[TermCommand]
    encrypted: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("cadre", "cadre-records", cadre_records, Permission.CADRE_WRITE, CadreCreate),
        Kind(
            "service_learning",
            "service-learning",
            service_learning,
            Permission.SERVICE_LEARNING_WRITE,
            ServiceLearningCreate,
        ),
        Kind("rewards", "rewards-punishments", rewards_punishments, Permission.REWARDS_WRITE, RewardCreate),
        Kind(
            "psych_tests",
            "psych-tests",
            psych_tests,
            Permission.PSYCH_TESTS_WRITE,
            PsychTestCreate,
            ("result_summary",),
        ),
    )
}


async def record_basic_data(
    uow: UnitOfWork,
    crypto: RecordsCrypto,
    kind: Kind,
    school_id: str,
    student_id: uuid.UUID,
    actor: str,
    cmd: TermCommand,
) -> uuid.UUID:
    await refuse_if_sealed(uow, student_id, f"add {kind.name}")  # a graduate's records are sealed (R-RET-1)
    # Offices enter a semester's basic data within the school's data-entry window (R-REC-1).
    await require_open(uow, school_id, cmd.academic_year, cmd.semester, Phase.DATA_ENTRY, now())
    record_id = uuid.uuid4()
    values: dict[str, Any] = cmd.model_dump()
    for column in kind.encrypted:
        plain = values.pop(column)
        values[f"{column}_encrypted"] = None if plain is None else crypto.seal(record_id, column, plain)
    await basic_data_store.insert_record(
        uow.session,
        kind.table,
        {"id": record_id, "student_id": student_id, "school_id": school_id, "recorded_by": actor,
         "recorded_at": now(), **values},
    )  # fmt: skip
    await audit(
        uow.session,
        school_id=school_id,
        actor=actor,
        action=f"{kind.name}.recorded",
        entity=kind.name,
        entity_id=record_id,
        details={"student_id": str(student_id), "term": f"{cmd.academic_year}-{cmd.semester}"},
    )
    if isinstance(cmd, CadreCreate):
        uow.publish(
            CadreRecorded(
                record_id=str(record_id),
                student_id=str(student_id),
                school_id=school_id,
                academic_year=cmd.academic_year,
                semester=cmd.semester,
                level=cmd.level,
                title=cmd.title,
                unit=cmd.unit,
                starts_on=cmd.starts_on,
                ends_on=cmd.ends_on,
            ),
            school_id=school_id,
            actor=actor,
        )
    return record_id


async def list_basic_data(
    uow: UnitOfWork, crypto: RecordsCrypto, kind: Kind, student_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Every record of the student, from any school (records follow the student, R-ENR-1)."""
    rows = await basic_data_store.records_of_student(uow.session, kind.table, student_id)
    out = []
    for row in rows:
        item = dict(row)
        for column in kind.encrypted:
            token = item.pop(f"{column}_encrypted")
            item[column] = None if token is None else crypto.open(row["id"], column, token)
        out.append(item)
    return out
