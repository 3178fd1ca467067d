"""Students and enrolment changes (學籍與學籍異動): R-DATA-1, R-REC-2, R-ENR-1.

The national ID number is validated, then kept only encrypted with a blind index
(R-DATA-1); it never goes into an event, the audit trail or a log line.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Row

from portfolio_records.adapters import students as store
from portfolio_records.domain.calendar import term_of
from portfolio_records.domain.enrolment import (
    EnrolmentChangeKind,
    EnrolmentState,
    EnrolmentStatus,
    apply_enrolment_change,
)
from portfolio_records.domain.errors import InvalidEnrolmentTransition, RecordConflict
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.events.records import EnrolmentChanged, StudentEnrolled

from .announcements import announce_basic_data, announce_grade_level, sealed_personal_data
from .audit import audit, now
from .commands import EnrolmentChangeRequest, StudentArrival, StudentUpdate
from .courses import publish_assignment
from .retention import refuse_if_sealed, seal_graduate
from .security import RecordsCrypto
from .windows import require_data_entry, settings_of

# Statuses in which a school still holds the student's enrolment (so no other admission/transfer in).
_HELD = {EnrolmentStatus.ENROLLED.value, EnrolmentStatus.SUSPENDED.value}


async def _number_taken(uow: UnitOfWork, school_id: str, number: str, student_id: uuid.UUID | None) -> None:
    holder = await store.number_holder(uow.session, school_id, number)
    if holder is not None and holder != student_id:
        raise RecordConflict(
            f"Student number {number} is already used at this school",
            f"學號 {number} 已被本校其他學生使用",
            field="student_number",
        )


async def register_arrival(
    uow: UnitOfWork, crypto: RecordsCrypto, school_id: str, actor: str, cmd: StudentArrival
) -> uuid.UUID:
    """Admission, transfer in or visiting study of a student at ``school_id`` (R-ENR-1).

    A student already known in the district (same national ID) keeps their id, so every record
    made at the old school stays attached and becomes visible here (nothing certified is lost).
    """
    session = uow.session
    kind = EnrolmentChangeKind(cmd.change)
    digest = crypto.national_id_digest(cmd.national_id)  # 422 on a bad number (R-DATA-1)
    # Enrolment data of a semester is entered within that semester's data-entry window (R-REC-1).
    await require_data_entry(uow, school_id, term_of(cmd.effective_on))
    student_id = await store.student_by_index(session, digest)
    at = now()
    here: Row[Any] | None = None
    from_school = cmd.from_school_id
    if student_id is None:
        student_id = uuid.uuid4()
        sealed = crypto.seal_national_id(student_id, cmd.national_id)
        await store.insert_student(
            session,
            {
                "id": student_id,
                "name": cmd.name,
                "national_id_encrypted": sealed.token,
                "national_id_kid": sealed.kid,
                "national_id_index": sealed.index,
                "national_id_masked": sealed.masked,
                "birth_date": cmd.birth_date,
                "user_id": cmd.user_id,
                "created_at": at,
                "updated_at": at,
            },
        )
    else:
        held = await store.enrolments_of(session, student_id)
        here = next((r for r in held if r.school_id == school_id), None)
        elsewhere = [r for r in held if r.school_id != school_id and r.status in _HELD]
        if elsewhere and kind is not EnrolmentChangeKind.VISITING_STUDY:
            raise InvalidEnrolmentTransition(
                "The student is still enrolled at another school; it records the transfer out first",
                "該生仍在他校在學，須先由原校辦理轉出",
                extra={"change": kind.value},
            )
        if from_school is None and kind is EnrolmentChangeKind.TRANSFER_IN:
            moved = [r.school_id for r in held if r.status == EnrolmentStatus.TRANSFERRED_OUT.value]
            from_school = moved[0] if moved else None
    await _number_taken(uow, school_id, cmd.student_number, student_id)

    before = EnrolmentState(None)
    if here is not None:
        before = EnrolmentState(EnrolmentStatus(here.status), here.grade, here.repeating)
    after = apply_enrolment_change(before, kind, grade=cmd.grade)
    assert after.grade is not None and after.status is not None
    values = {
        "student_number": cmd.student_number,
        "grade": after.grade,
        "class_name": cmd.class_name,
        "seat_number": cmd.seat_number,
        "status": after.status.value,
        "repeating": after.repeating,
        "enrolled_on": cmd.effective_on,
        "updated_at": at,
    }
    if here is None:
        await store.insert_enrolment(
            session, {"id": uuid.uuid4(), "student_id": student_id, "school_id": school_id, **values}
        )
    else:
        await store.update_enrolment(session, here.id, values)
    user_id = await store.user_id_of(session, student_id)
    await _record_change(
        uow,
        school_id,
        actor,
        student_id,
        user_id,
        kind,
        cmd.effective_on,
        before.status,
        after,
        cmd.note,
        from_school_id=from_school,
    )
    uow.publish(
        StudentEnrolled(
            student_id=str(student_id),
            user_id=user_id,
            school_id=school_id,
            grade=after.grade,
            class_name=cmd.class_name,
            seat_number=cmd.seat_number,
            admitted_on=cmd.effective_on,
            sealed_personal_data=await sealed_personal_data(uow, crypto, student_id, school_id),
        ),
        school_id=school_id,
        actor=actor,
    )
    return student_id


async def change_enrolment(
    uow: UnitOfWork, school_id: str, student_id: uuid.UUID, actor: str, cmd: EnrolmentChangeRequest
) -> None:
    """Transfer out, suspension, reinstatement, repeat, graduation or leaving (R-ENR-1)."""
    session = uow.session
    row = await store.enrolment_with_user(session, school_id, student_id)
    if row is None:
        raise not_found("student")
    await refuse_if_sealed(uow, student_id, "change the enrolment")  # R-RET-1
    await require_data_entry(uow, school_id, term_of(cmd.effective_on))  # R-REC-1
    kind = EnrolmentChangeKind(cmd.change)
    before = EnrolmentState(EnrolmentStatus(row.status), row.grade, row.repeating)
    after = apply_enrolment_change(before, kind, grade=cmd.grade)
    assert after.status is not None and after.grade is not None
    # Guarded update: a concurrent change of the same enrolment makes this one a conflict.
    changed = await store.update_enrolment_if(
        session,
        row.id,
        status=row.status,
        grade=row.grade,
        values={"status": after.status.value, "grade": after.grade, "repeating": after.repeating, "updated_at": now()},
    )
    if not changed:
        raise RecordConflict("The enrolment changed meanwhile; reload and retry", "學籍已被他人變更，請重新整理後再試")
    to_school = cmd.to_school_id if kind is EnrolmentChangeKind.TRANSFER_OUT else None
    if kind in (EnrolmentChangeKind.REPEAT_GRADE, EnrolmentChangeKind.GRADUATION):
        announce_grade_level(
            uow, student_id=student_id, user_id=row.user_id, school_id=school_id, change=kind.value,
            from_grade=row.grade, to_grade=None if kind is EnrolmentChangeKind.GRADUATION else after.grade,
            effective_on=cmd.effective_on, actor=actor,
        )  # fmt: skip
    if kind is EnrolmentChangeKind.GRADUATION:  # sealed from now on, here and everywhere (R-RET-1)
        await seal_graduate(
            uow, student_id=student_id, user_id=row.user_id, school_id=school_id, completed_on=cmd.effective_on,
            actor=actor,
        )  # fmt: skip
    await _record_change(
        uow,
        school_id,
        actor,
        student_id,
        row.user_id,
        kind,
        cmd.effective_on,
        before.status,
        after,
        cmd.note,
        to_school_id=to_school,
    )


async def _record_change(
    uow: UnitOfWork,
    school_id: str,
    actor: str,
    student_id: uuid.UUID,
    user_id: str | None,
    kind: EnrolmentChangeKind,
    effective_on: date,
    from_status: EnrolmentStatus | None,
    after: EnrolmentState,
    note: str | None,
    *,
    from_school_id: str | None = None,
    to_school_id: str | None = None,
) -> None:
    assert after.status is not None and after.grade is not None
    change_id = uuid.uuid4()
    await store.insert_enrolment_change(
        uow.session,
        {
            "id": change_id,
            "student_id": student_id,
            "school_id": school_id,
            "change": kind.value,
            "effective_on": effective_on,
            "from_status": None if from_status is None else from_status.value,
            "to_status": after.status.value,
            "grade": after.grade,
            "from_school_id": from_school_id,
            "to_school_id": to_school_id,
            "note": note,
            "recorded_by": actor,
            "recorded_at": now(),
        },
    )
    await audit(
        uow.session,
        school_id=school_id,
        actor=actor,
        action=f"enrolment.{kind.value}",
        entity="student",
        entity_id=student_id,
        details={"change_id": str(change_id), "to_status": after.status.value, "grade": after.grade},
    )
    uow.publish(
        EnrolmentChanged(
            student_id=str(student_id),
            user_id=user_id,
            school_id=school_id,
            change=kind.value,
            effective_on=effective_on,
            status=after.status.value,
            grade=after.grade,
            from_school_id=from_school_id,
            to_school_id=to_school_id,
        ),
        school_id=school_id,
        actor=actor,
    )


async def update_student(
    uow: UnitOfWork, crypto: RecordsCrypto, school_id: str, student_id: uuid.UUID, actor: str, cmd: StudentUpdate
) -> list[str]:
    """Correct basic data (R-REC-2); returns the names of the fields changed (for the audit)."""
    session = uow.session
    await refuse_if_sealed(uow, student_id, "correct the basic data")  # R-RET-1
    changes = cmd.model_dump(exclude_unset=True)
    # A correction of basic data is entered in the current semester's data-entry window (R-REC-1).
    zone = (await settings_of(uow, school_id)).zone
    await require_data_entry(uow, school_id, term_of(now().astimezone(zone).date()))
    person = {k: v for k, v in changes.items() if k in ("name", "birth_date", "user_id") and v is not None}
    local = {k: v for k, v in changes.items() if k in ("class_name", "seat_number")}
    if changes.get("national_id") is not None:
        sealed = crypto.seal_national_id(student_id, changes["national_id"])
        holder = await store.student_by_index(session, sealed.index)
        if holder is not None and holder != student_id:
            raise RecordConflict(
                "Another student has this national ID number", "已有其他學生使用此身分證明號碼", field="national_id"
            )
        person.update(
            national_id_encrypted=sealed.token,
            national_id_kid=sealed.kid,
            national_id_index=sealed.index,
            national_id_masked=sealed.masked,
        )
    if local.get("class_name") is None:
        local.pop("class_name", None)
    at = now()
    previous_user_id = None
    if "user_id" in person:
        previous_user_id = await store.user_id_of(session, student_id)
    if person:
        await store.update_student(session, student_id, {"updated_at": at, **person})
    if local:
        await store.update_enrolment_at(session, student_id, school_id, {"updated_at": at, **local})
    changed = sorted(k for k in changes if k in person or k in local or k == "national_id")
    if "user_id" in person:
        # Artifacts keys certification by the students' user ids: re-announce the student's courses.
        for course in await store.courses_taken(session, student_id):
            await publish_assignment(uow, course, actor)
    if changed:
        # Other services learn of it (a user id linked later reaches artifacts); never the national ID.
        await announce_basic_data(uow, student_id, actor, changed, previous_user_id, crypto)
        await audit(
            session,
            school_id=school_id,
            actor=actor,
            action="student.updated",
            entity="student",
            entity_id=student_id,
            details={"fields": changed},
        )
    return changed


async def find_by_national_id(uow: UnitOfWork, crypto: RecordsCrypto, school_id: str, raw: str) -> uuid.UUID | None:
    """Exact lookup through the blind index, limited to students enrolled at ``school_id``."""
    digest = crypto.national_id_lookup_digest(raw)
    return await store.enrolled_student_by_index(uow.session, school_id, digest)
