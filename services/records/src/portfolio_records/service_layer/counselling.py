"""Course counselling records (課程諮詢紀錄): R-DATA-2, R-REC-3, R-DATA-5.

Place, content and opinions are encrypted at rest; only counsellors and the instruction section
(counselling:read) and the student concerned (counselling:read_own) may read them. The event
carries ids only, and nothing here logs a record's text.
"""

from __future__ import annotations

import uuid
from typing import Any

from portfolio_records.adapters import counselling as store
from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.records import CounsellingRecorded

from .audit import audit, now
from .commands import CounsellingCreate
from .retention import refuse_if_sealed
from .security import RecordsCrypto

_SEALED = ("place", "content", "opinions")


async def record_counselling(
    uow: UnitOfWork, crypto: RecordsCrypto, school_id: str, student_id: uuid.UUID, actor: str, cmd: CounsellingCreate
) -> uuid.UUID:
    await refuse_if_sealed(uow, student_id, "add a counselling record")  # R-RET-1
    record_id = uuid.uuid4()
    sealed = {f"{c}_encrypted": crypto.seal(record_id, c, getattr(cmd, c)) for c in _SEALED}
    await store.insert_record(
        uow.session,
        {"id": record_id, "student_id": student_id, "school_id": school_id, "counsellor_user_id": actor,
         "held_at": cmd.held_at, "recorded_at": now(), **sealed},
    )  # fmt: skip
    await audit(
        uow.session,
        school_id=school_id,
        actor=actor,
        action="counselling.recorded",
        entity="counselling_record",
        entity_id=record_id,
        details={"student_id": str(student_id)},  # ids only (R-DATA-5)
    )
    uow.publish(
        CounsellingRecorded(
            record_id=str(record_id), student_id=str(student_id), school_id=school_id, counsellor_user_id=actor
        ),
        school_id=school_id,
        actor=actor,
    )
    return record_id


def _open(crypto: RecordsCrypto, row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "student_id": row.student_id,
        "school_id": row.school_id,
        "counsellor_user_id": row.counsellor_user_id,
        "held_at": row.held_at,
        "recorded_at": row.recorded_at,
        **{c: crypto.open(row.id, c, getattr(row, f"{c}_encrypted")) for c in _SEALED},
    }


async def counselling_of(
    uow: UnitOfWork, crypto: RecordsCrypto, school_id: str, student_id: uuid.UUID, record_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """The student's counselling records made at this school (they stay in the school, R-DATA-5)."""
    rows = await store.records_at_school(uow.session, school_id, student_id, record_id)
    return [_open(crypto, r) for r in rows]
