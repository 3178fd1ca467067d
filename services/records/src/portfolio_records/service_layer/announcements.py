"""What records tells the other services about a student (R-DATA-1, R-ENR-1, R-SUB-9).

- ``announce_basic_data``: after a correction of basic data, one ``StudentBasicDataChanged`` per
  school holding an enrolment of the student, so a user id linked after admission reaches
  artifacts (its enrolment read copy is keyed by user id) with the enrolment's status.
- ``promote``: the year-start promotion (升級) of a school's enrolled students, one
  ``GradeLevelChanged`` each; ``announce_grade_level`` does the same for a repeated grade or a
  graduation recorded as an enrolment change.
- ``set_contact`` / ``contact_of``: the postal address for letters to a student (R-SUB-9), kept as
  one AES-GCM token and published to notification as ``ContactAddressSet`` (never a national ID).
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from portfolio_records.adapters import students as store
from portfolio_records.domain.calendar import academic_year_of, term_of
from portfolio_records.domain.enrolment import EnrolmentState, EnrolmentStatus, promote
from portfolio_records.domain.errors import DomainError, RecordConflict
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.events.records import ContactAddressSet, GradeLevelChanged, StudentBasicDataChanged

from .audit import audit, now
from .commands import ContactInput, PromotionRequest
from .security import RecordsCrypto
from .windows import require_data_entry

CONTACT_COLUMN = "contact"


async def _status_since(uow: UnitOfWork, student_id: uuid.UUID, school_id: str, enrolled_on: date) -> date:
    latest = await store.latest_change_on(uow.session, student_id, school_id)
    return latest or enrolled_on


async def sealed_personal_data(uow: UnitOfWork, crypto: RecordsCrypto, student_id: uuid.UUID, school_id: str) -> str:
    """National ID, name and birth date of a student sealed for the submission service alone: the only
    form in which a national ID leaves records (docs/ARCHITECTURE.md, "Personal data in submission
    packages")."""
    row = await store.personal_fields(uow.session, student_id)
    return crypto.seal_for_submission(
        student_id=student_id,
        school_id=school_id,
        national_id_token=row.national_id_encrypted,
        name=row.name,
        birth_date=row.birth_date.isoformat(),
    )


async def announce_basic_data(
    uow: UnitOfWork,
    student_id: uuid.UUID,
    actor: str,
    changed_fields: list[str],
    previous_user_id: str | None,
    crypto: RecordsCrypto | None = None,
) -> None:
    """One ``StudentBasicDataChanged`` per school holding the student (R-DATA-1, R-ENR-1); with
    ``crypto``, each carries the student's personal fields sealed for submission."""
    user_id = await store.user_id_of(uow.session, student_id)
    held = await store.enrolments_of(uow.session, student_id)
    for row in sorted(held, key=lambda r: r.school_id):
        uow.publish(
            StudentBasicDataChanged(
                student_id=str(student_id),
                school_id=row.school_id,
                user_id=user_id,
                previous_user_id=previous_user_id,
                changed_fields=changed_fields,
                status=row.status,
                status_since=await _status_since(uow, student_id, row.school_id, row.enrolled_on),
                grade=row.grade,
                class_name=row.class_name,
                seat_number=row.seat_number,
                sealed_personal_data=(
                    await sealed_personal_data(uow, crypto, student_id, row.school_id) if crypto is not None else None
                ),
            ),
            school_id=row.school_id,
            actor=actor,
        )


def announce_grade_level(
    uow: UnitOfWork,
    *,
    student_id: uuid.UUID,
    user_id: str | None,
    school_id: str,
    change: str,
    from_grade: int,
    to_grade: int | None,
    effective_on: date,
    actor: str,
) -> None:
    uow.publish(
        GradeLevelChanged(
            student_id=str(student_id),
            user_id=user_id,
            school_id=school_id,
            change=change,  # type: ignore[arg-type]  # promotion, repeat_grade or graduation
            from_grade=from_grade,
            to_grade=to_grade,
            academic_year=academic_year_of(effective_on),
            effective_on=effective_on,
        ),
        school_id=school_id,
        actor=actor,
    )


async def promote_school(uow: UnitOfWork, school_id: str, actor: str, cmd: PromotionRequest) -> dict[str, Any]:
    """Promote the school's enrolled students into the academic year of ``effective_on`` (升級, R-ENR-1).

    Grade 1 and 2 move up; a repeating student stays (and is repeating no more); grade 3 graduates
    by its own enrolment change instead. Once per school and academic year (a second call is 409).
    """
    year = academic_year_of(cmd.effective_on)
    await require_data_entry(uow, school_id, term_of(cmd.effective_on))  # enrolment data, R-REC-1
    done = await store.change_dates(uow.session, school_id, "promotion")
    if any(academic_year_of(d) == year for d in done):
        raise RecordConflict(
            f"The students of this school were already promoted into academic year {year}",
            f"本校學生已辦理 {year} 學年度升級",
            field="effective_on",
            rule="R-ENR-1",
        )
    rows = await store.enrolled_with_users(uow.session, school_id, EnrolmentStatus.ENROLLED.value)
    promoted, stayed, skipped = 0, 0, 0
    at = now()
    for row in rows:
        try:
            after = promote(EnrolmentState(EnrolmentStatus(row.status), row.grade, row.repeating))
        except DomainError:
            skipped += 1  # grade 3: graduates by its own enrolment change
            continue
        await store.update_enrolment(uow.session, row.id, {"grade": after.grade, "repeating": False, "updated_at": at})
        await store.insert_enrolment_change(
            uow.session,
            {"id": uuid.uuid4(), "student_id": row.student_id, "school_id": school_id, "change": "promotion",
             "effective_on": cmd.effective_on, "from_status": row.status, "to_status": row.status,
             "grade": after.grade, "note": None, "recorded_by": actor, "recorded_at": at},
        )  # fmt: skip
        if after.grade == row.grade:
            stayed += 1
            continue
        promoted += 1
        assert after.grade is not None
        announce_grade_level(
            uow, student_id=row.student_id, user_id=row.user_id, school_id=school_id, change="promotion",
            from_grade=row.grade, to_grade=after.grade, effective_on=cmd.effective_on, actor=actor,
        )  # fmt: skip
    result = {"academic_year": year, "promoted": promoted, "repeating": stayed, "not_promoted_grade_3": skipped}
    await audit(
        uow.session, school_id=school_id, actor=actor, action="enrolment.promotion", entity="school",
        entity_id=school_id, details=result,
    )  # fmt: skip
    return result


async def set_contact(
    uow: UnitOfWork, crypto: RecordsCrypto, school_id: str, student_id: uuid.UUID, actor: str, cmd: ContactInput
) -> None:
    """The postal address for letters (R-SUB-9); any time, since a student who left still gets mail."""
    plain = json.dumps(cmd.model_dump(), ensure_ascii=False)
    token = crypto.seal(student_id, CONTACT_COLUMN, plain)
    await store.replace_contact(
        uow.session, student_id, {"contact_encrypted": token, "updated_by": actor, "updated_at": now()}
    )
    await audit(
        uow.session, school_id=school_id, actor=actor, action="student.contact_set", entity="student",
        entity_id=student_id, details={"fields": sorted(cmd.model_dump())},
    )  # fmt: skip
    user_id = await store.user_id_of(uow.session, student_id)
    uow.publish(
        ContactAddressSet(student_id=str(student_id), user_id=user_id, school_id=school_id, **cmd.model_dump()),
        school_id=school_id,
        actor=actor,
    )


async def contact_of(uow: UnitOfWork, crypto: RecordsCrypto, student_id: uuid.UUID) -> dict[str, Any]:
    token = await store.contact_token(uow.session, student_id)
    if token is None:
        raise not_found("contact address")
    data: dict[str, Any] = json.loads(crypto.open(student_id, CONTACT_COLUMN, token))
    return data
