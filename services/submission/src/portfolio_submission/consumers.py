"""Every event the submission service consumes, declared in one place.

Records, artifacts and identity own these facts; this service keeps read copies (``rc_*``) so a batch,
its pre-check and its package never call another service. Each handler is an upsert that keeps the
newest fact by ``envelope.occurred_at`` (an item guards its content, status and selection apart), so
redelivered or out-of-order events leave the right state; the inbox drops duplicates.

Never subscribed: ``records.counselling.recorded`` or anything else about counselling records — they
are never submitted (R-DATA-5), so this service does not even learn that one exists.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, func, update

from portfolio_shared.academic import academic_year_of
from portfolio_shared.db import UnitOfWork
from portfolio_shared.dialect import upsert_newer
from portfolio_shared.events.artifacts import (
    ArtifactsTransferred,
    FileIntegrityFailed,
    OutcomeCertified,
    OutcomeDeselected,
    OutcomeReturned,
    OutcomeSelected,
    OutcomeUploaded,
    OutcomeWithdrawn,
    PerformanceDeselected,
    PerformanceSelected,
    PerformanceUploaded,
    PerformanceWithdrawn,
)
from portfolio_shared.events.base import Envelope
from portfolio_shared.events.identity import (
    AbsenceCleared,
    AbsenceMarked,
    ActingPersonChanged,
    DelegationOrderChanged,
    SchoolCreated,
    SchoolUpdated,
    UserCreated,
    UserDeactivated,
    UserUpdated,
)
from portfolio_shared.events.records import (
    CadreRecorded,
    CourseOffered,
    EnrolmentChanged,
    GradeLevelChanged,
    SemesterGradesRecorded,
    StudentBasicDataChanged,
    StudentEnrolled,
)
from portfolio_shared.messaging import Subscriptions
from portfolio_shared.retention import join_retention

from .adapters.orm import (
    rc_absences,
    rc_cadres,
    rc_courses,
    rc_duties,
    rc_file_problems,
    rc_grade_years,
    rc_items,
    rc_schools,
    rc_students,
    rc_term_grades,
    rc_users,
    sealed_students,
)
from .adapters.retention_sql import erased
from .service_layer.retention import erase

log = logging.getLogger(__name__)

records_events = Subscriptions("submission.records")
artifacts_events = Subscriptions("submission.artifacts")
identity_events = Subscriptions("submission.identity")

# Enrolment changes that start an enrolment at the school, and those that end it (R-DATA-6).
_ARRIVALS = frozenset({"admission", "transfer_in", "visiting_study", "reinstatement"})
_ENDINGS = frozenset({"transfer_out", "graduation", "leaving"})


# -- records ------------------------------------------------------------------------------------
async def _student(
    uow: UnitOfWork, envelope: Envelope, values: dict[str, Any], *, keep: dict[str, Any] | None = None
) -> None:
    if await erased(uow.session, student_id=values["student_id"]):
        return  # deleted after the archive period (R-RET-1): a late event does not bring it back
    on_update: dict[str, Any] = dict(keep or {})
    if values.get("sealed_personal_data") is None:
        on_update["sealed_personal_data"] = rc_students.c.sealed_personal_data
    await upsert_newer(
        uow.session,
        rc_students,
        ["school_id", "student_id"],
        values,
        event_at=envelope.occurred_at,
        on_update=on_update,
    )


async def _grade_year(
    uow: UnitOfWork, envelope: Envelope, school_id: str, student_id: str, year: int, grade: int
) -> None:
    if await erased(uow.session, student_id=student_id):
        return  # deleted after the archive period (R-RET-1)
    await upsert_newer(
        uow.session,
        rc_grade_years,
        ["school_id", "student_id", "academic_year"],
        {"school_id": school_id, "student_id": student_id, "academic_year": year, "grade": grade},
        event_at=envelope.occurred_at,
    )


@records_events.on(StudentEnrolled)
async def keep_student_enrolled(event: StudentEnrolled, envelope: Envelope, uow: UnitOfWork) -> None:
    """An enrolment at the school begins (R-ENR-1): class, seat, grade and the sealed personal data."""
    await _student(
        uow,
        envelope,
        {
            "school_id": event.school_id,
            "student_id": event.student_id,
            "user_id": event.user_id,
            "grade": event.grade,
            "class_name": event.class_name,
            "seat_number": event.seat_number,
            "status": "enrolled",
            "status_since": event.admitted_on,
            "enrolled_on": event.admitted_on,
            "left_on": None,
            "sealed_personal_data": event.sealed_personal_data,
        },
        keep={"status": func.coalesce(rc_students.c.status, "enrolled")},
    )
    await _grade_year(
        uow, envelope, event.school_id, event.student_id, academic_year_of(event.admitted_on), event.grade
    )


@records_events.on(EnrolmentChanged)
async def keep_enrolment_change(event: EnrolmentChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Status after a change; arrivals start the enrolment period, endings close it (R-DATA-6)."""
    keep: dict[str, Any] = {
        "class_name": rc_students.c.class_name,
        "seat_number": rc_students.c.seat_number,
    }
    if event.change not in _ARRIVALS:
        keep["enrolled_on"] = rc_students.c.enrolled_on
    if event.change not in _ENDINGS and event.change not in _ARRIVALS:
        keep["left_on"] = rc_students.c.left_on
    if event.user_id is None:
        keep["user_id"] = rc_students.c.user_id
    await _student(
        uow,
        envelope,
        {
            "school_id": event.school_id,
            "student_id": event.student_id,
            "user_id": event.user_id,
            "grade": event.grade,
            "class_name": "",
            "seat_number": None,
            "status": event.status,
            "status_since": event.effective_on,
            "enrolled_on": event.effective_on if event.change in _ARRIVALS else None,
            "left_on": event.effective_on if event.change in _ENDINGS else None,
            "sealed_personal_data": None,
        },
        keep=keep,
    )


@records_events.on(StudentBasicDataChanged)
async def keep_basic_data(event: StudentBasicDataChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Class, seat, status and the sealed personal fields after a correction (R-DATA-1)."""
    await _student(
        uow,
        envelope,
        {
            "school_id": event.school_id,
            "student_id": event.student_id,
            "user_id": event.user_id,
            "grade": event.grade,
            "class_name": event.class_name,
            "seat_number": event.seat_number,
            "status": event.status,
            "status_since": event.status_since,
            "enrolled_on": None,
            "left_on": None,
            "sealed_personal_data": event.sealed_personal_data,
        },
        keep={"enrolled_on": rc_students.c.enrolled_on, "left_on": rc_students.c.left_on},
    )


@records_events.on(GradeLevelChanged)
async def keep_grade_level(event: GradeLevelChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Promotion, repeat or graduation: the grade in the new year, and the one the student finished
    (a graduate's last year was grade 3, R-SUB-3)."""
    await _grade_year(uow, envelope, event.school_id, event.student_id, event.academic_year - 1, event.from_grade)
    if event.to_grade is not None:
        await _grade_year(uow, envelope, event.school_id, event.student_id, event.academic_year, event.to_grade)
        await uow.session.execute(
            update(rc_students)
            .where(rc_students.c.school_id == event.school_id, rc_students.c.student_id == event.student_id)
            .where(rc_students.c.event_at <= envelope.occurred_at)
            .values(grade=event.to_grade)
        )


@records_events.on(CourseOffered)
async def keep_course(event: CourseOffered, envelope: Envelope, uow: UnitOfWork) -> None:
    """Course code, subject and credits of the course an outcome belongs to (R-DATA-3)."""
    await upsert_newer(
        uow.session,
        rc_courses,
        ["course_id"],
        {
            "course_id": event.course_id,
            "school_id": event.school_id,
            "academic_year": event.academic_year,
            "semester": event.semester,
            "course_code": event.course_code,
            "subject_name": event.subject_name,
            "credits": event.credits,
        },
        event_at=envelope.occurred_at,
    )


@records_events.on(SemesterGradesRecorded)
async def keep_term_grades(event: SemesterGradesRecorded, envelope: Envelope, uow: UnitOfWork) -> None:
    """A student's grades of one term, as records last published them (R-DATA-2)."""
    if await erased(uow.session, student_id=event.student_id):
        return  # deleted after the archive period (R-RET-1)
    grades = [g.model_dump(mode="json") for g in event.grades]
    await upsert_newer(
        uow.session,
        rc_term_grades,
        ["school_id", "student_id", "academic_year", "semester"],
        {
            "school_id": event.school_id,
            "student_id": event.student_id,
            "academic_year": event.academic_year,
            "semester": event.semester,
            "grades": grades,
        },
        event_at=envelope.occurred_at,
    )


@records_events.on(CadreRecorded)
async def keep_cadre(event: CadreRecorded, envelope: Envelope, uow: UnitOfWork) -> None:
    """A cadre record (幹部紀錄, R-DATA-1, R-REC-2)."""
    if await erased(uow.session, student_id=event.student_id):
        return  # deleted after the archive period (R-RET-1)
    await upsert_newer(
        uow.session,
        rc_cadres,
        ["record_id"],
        {
            "record_id": event.record_id,
            "school_id": event.school_id,
            "student_id": event.student_id,
            "academic_year": event.academic_year,
            "semester": event.semester,
            "level": event.level,
            "title": event.title,
            "unit": event.unit,
            "starts_on": event.starts_on,
            "ends_on": event.ends_on,
        },
        event_at=envelope.occurred_at,
    )


# -- artifacts ----------------------------------------------------------------------------------
_ITEM_DEFAULTS = {"version": 0, "status": "unknown", "selected": False}
_KEEP_STATUS = {"status": rc_items.c.status, "selected": rc_items.c.selected}


async def _item_content(uow: UnitOfWork, envelope: Envelope, values: dict[str, Any]) -> None:
    """The item's latest upload (content guarded by its own time), and its status becomes uploaded
    unless a newer status is known (a certification of this version, a return, a withdrawal)."""
    if await erased(uow.session, user_id=values["student_user_id"]):
        return  # deleted after the archive period (R-RET-1)
    values = {**_ITEM_DEFAULTS, **values}
    keep = {
        "status": rc_items.c.status,
        "status_event_at": rc_items.c.status_event_at,
        "selected": rc_items.c.selected,
        "selected_year": rc_items.c.selected_year,
        "selection_event_at": rc_items.c.selection_event_at,
    }
    applied = await upsert_newer(
        uow.session,
        rc_items,
        ["item_id"],
        values,
        event_at=envelope.occurred_at,
        on_update=keep,
        event_column="content_event_at",
    )
    if applied:
        await _item_status(uow, envelope, values, "uploaded")
        files = [str(f.get("file_id")) for f in values.get("files") or []]
        # Files of an earlier version are gone with it: their integrity problems no longer count.
        await uow.session.execute(
            delete(rc_file_problems).where(
                rc_file_problems.c.item_id == values["item_id"], rc_file_problems.c.file_id.not_in(files)
            )
        )


async def _item_status(uow: UnitOfWork, envelope: Envelope, values: dict[str, Any], status: str) -> None:
    if await erased(uow.session, user_id=values["student_user_id"]):
        return  # deleted after the archive period (R-RET-1)
    row = {
        **_ITEM_DEFAULTS,
        "item_id": values["item_id"],
        "item_kind": values["item_kind"],
        "school_id": values["school_id"],
        "student_user_id": values["student_user_id"],
        "status": status,
    }
    keep = {"version": rc_items.c.version, "selected": rc_items.c.selected, "school_id": rc_items.c.school_id}
    await upsert_newer(
        uow.session,
        rc_items,
        ["item_id"],
        row,
        event_at=envelope.occurred_at,
        on_update=keep,
        event_column="status_event_at",
    )


async def _item_selection(
    uow: UnitOfWork, envelope: Envelope, values: dict[str, Any], selected: bool, year: int
) -> None:
    if await erased(uow.session, user_id=values["student_user_id"]):
        return  # deleted after the archive period (R-RET-1)
    row = {
        **_ITEM_DEFAULTS,
        "item_id": values["item_id"],
        "item_kind": values["item_kind"],
        "school_id": values["school_id"],
        "student_user_id": values["student_user_id"],
        "selected": selected,
        "selected_year": year,
    }
    keep = {"version": rc_items.c.version, "status": rc_items.c.status, "school_id": rc_items.c.school_id}
    await upsert_newer(
        uow.session,
        rc_items,
        ["item_id"],
        row,
        event_at=envelope.occurred_at,
        on_update=keep,
        event_column="selection_event_at",
    )


def _outcome(event: Any) -> dict[str, Any]:
    return {
        "item_id": event.outcome_id,
        "item_kind": "outcome",
        "school_id": event.school_id,
        "student_user_id": event.student_user_id,
    }


def _performance(event: Any) -> dict[str, Any]:
    return {
        "item_id": event.performance_id,
        "item_kind": "performance",
        "school_id": event.school_id,
        "student_user_id": event.student_user_id,
    }


@artifacts_events.on(OutcomeUploaded)
async def keep_outcome_uploaded(event: OutcomeUploaded, envelope: Envelope, uow: UnitOfWork) -> None:
    """A course outcome's latest version: course, term, description and files with their object keys,
    sizes and SHA-256 (R-ART-1, R-FILE-1, R-FILE-2)."""
    await _item_content(
        uow,
        envelope,
        {
            **_outcome(event),
            "course_id": event.course_id,
            "academic_year": event.academic_year,
            "semester": event.semester,
            "description": event.description,
            "files": list(event.files),
            "version": event.version,
        },
    )


@artifacts_events.on(OutcomeCertified)
async def keep_outcome_certified(event: OutcomeCertified, envelope: Envelope, uow: UnitOfWork) -> None:
    """Certified by the course teacher or whoever acts for them (R-ART-3, R-ART-5)."""
    await _item_status(uow, envelope, _outcome(event), "certified")


@artifacts_events.on(OutcomeReturned)
async def keep_outcome_returned(event: OutcomeReturned, envelope: Envelope, uow: UnitOfWork) -> None:
    await _item_status(uow, envelope, _outcome(event), "returned")


@artifacts_events.on(OutcomeWithdrawn)
async def keep_outcome_withdrawn(event: OutcomeWithdrawn, envelope: Envelope, uow: UnitOfWork) -> None:
    await _item_status(uow, envelope, _outcome(event), "withdrawn")


@artifacts_events.on(OutcomeSelected)
async def keep_outcome_selected(event: OutcomeSelected, envelope: Envelope, uow: UnitOfWork) -> None:
    """Selected for submission in an academic year (R-ART-4)."""
    await _item_selection(uow, envelope, _outcome(event), True, event.academic_year)


@artifacts_events.on(OutcomeDeselected)
async def keep_outcome_deselected(event: OutcomeDeselected, envelope: Envelope, uow: UnitOfWork) -> None:
    await _item_selection(uow, envelope, _outcome(event), False, event.academic_year)


@artifacts_events.on(PerformanceUploaded)
async def keep_performance_uploaded(event: PerformanceUploaded, envelope: Envelope, uow: UnitOfWork) -> None:
    """A multiple performance's latest version: category, fields, description and files (R-FILE-3)."""
    await _item_content(
        uow,
        envelope,
        {
            **_performance(event),
            "academic_year": event.academic_year,
            "semester": 0,
            "category": event.category,
            "fields": dict(event.fields),
            "description": event.description,
            "files": list(event.files),
        },
    )


@artifacts_events.on(PerformanceWithdrawn)
async def keep_performance_withdrawn(event: PerformanceWithdrawn, envelope: Envelope, uow: UnitOfWork) -> None:
    await _item_status(uow, envelope, _performance(event), "withdrawn")


@artifacts_events.on(PerformanceSelected)
async def keep_performance_selected(event: PerformanceSelected, envelope: Envelope, uow: UnitOfWork) -> None:
    """Selected for submission in an academic year (R-PERF-2)."""
    await _item_selection(uow, envelope, _performance(event), True, event.academic_year)


@artifacts_events.on(PerformanceDeselected)
async def keep_performance_deselected(event: PerformanceDeselected, envelope: Envelope, uow: UnitOfWork) -> None:
    await _item_selection(uow, envelope, _performance(event), False, event.academic_year)


@artifacts_events.on(FileIntegrityFailed)
async def keep_file_problem(event: FileIntegrityFailed, envelope: Envelope, uow: UnitOfWork) -> None:
    """A stored file found missing or altered: its item cannot be submitted until re-uploaded (R-FILE-1)."""
    await upsert_newer(
        uow.session,
        rc_file_problems,
        ["file_id"],
        {"file_id": event.file_id, "item_id": event.owner_id, "problem": event.problem},
        event_at=envelope.occurred_at,
    )


@artifacts_events.on(ArtifactsTransferred)
async def keep_transfer(event: ArtifactsTransferred, envelope: Envelope, uow: UnitOfWork) -> None:
    """Items that followed a transfer are submitted by the school the student is enrolled at (R-ENR-1)."""
    ids = [*event.outcome_ids, *event.performance_ids]
    if ids:
        await uow.session.execute(
            update(rc_items).where(rc_items.c.item_id.in_(ids)).values(school_id=event.to_school_id)
        )


# -- identity -----------------------------------------------------------------------------------
@identity_events.on(SchoolCreated, SchoolUpdated)
async def keep_school(event: SchoolCreated | SchoolUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """The school code (學校代碼) heads every workbook."""
    await upsert_newer(
        uow.session,
        rc_schools,
        ["school_id"],
        {"school_id": event.school_id, "school_code": event.school_code, "name": event.name},
        event_at=envelope.occurred_at,
    )


@identity_events.on(UserCreated, UserUpdated)
async def keep_user(event: UserCreated | UserUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """Staff names for batches (submitted by, on behalf of) and who has left (R-DUTY-2)."""
    await upsert_newer(
        uow.session,
        rc_users,
        ["user_id"],
        {"user_id": event.user_id, "display_name": event.display_name, "status": event.status},
        event_at=envelope.occurred_at,
    )


@identity_events.on(UserDeactivated)
async def keep_user_deactivated(event: UserDeactivated, envelope: Envelope, uow: UnitOfWork) -> None:
    await upsert_newer(
        uow.session,
        rc_users,
        ["user_id"],
        {"user_id": event.user_id, "display_name": "", "status": event.status},
        event_at=envelope.occurred_at,
        on_update={"display_name": rc_users.c.display_name},
    )


_DUTY_DEFAULTS: dict[str, Any] = {
    "responsible_user_ids": [],
    "delegate_user_ids": [],
    "acting_user_id": None,
    "acting_is_delegate": False,
}


@identity_events.on(DelegationOrderChanged)
async def keep_delegation_order(event: DelegationOrderChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Responsible persons and ordered delegates of a duty (代理順位, R-DUTY-1)."""
    await upsert_newer(
        uow.session,
        rc_duties,
        ["school_id", "duty_code"],
        {
            **_DUTY_DEFAULTS,
            "school_id": event.school_id,
            "duty_code": event.duty_code,
            "responsible_user_ids": list(event.responsible_user_ids),
            "delegate_user_ids": list(event.delegate_user_ids),
        },
        event_at=envelope.occurred_at,
        event_column="order_event_at",
        on_update={
            "acting_user_id": rc_duties.c.acting_user_id,
            "acting_is_delegate": rc_duties.c.acting_is_delegate,
            "acting_event_at": rc_duties.c.acting_event_at,
        },
    )


@identity_events.on(ActingPersonChanged)
async def keep_acting_person(event: ActingPersonChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Who acts for a duty now: the responsible person, or the next delegate (R-DUTY-2)."""
    await upsert_newer(
        uow.session,
        rc_duties,
        ["school_id", "duty_code"],
        {
            **_DUTY_DEFAULTS,
            "school_id": event.school_id,
            "duty_code": event.duty_code,
            "acting_user_id": event.acting_user_id,
            "acting_is_delegate": event.is_delegate,
        },
        event_at=envelope.occurred_at,
        event_column="acting_event_at",
        on_update={
            "responsible_user_ids": rc_duties.c.responsible_user_ids,
            "delegate_user_ids": rc_duties.c.delegate_user_ids,
            "order_event_at": rc_duties.c.order_event_at,
        },
    )


def _absence_key(event: AbsenceMarked | AbsenceCleared) -> str:
    return event.absence_id or f"{event.user_id}:{event.starts_on.isoformat()}:{event.ends_on.isoformat()}"


@identity_events.on(AbsenceMarked)
async def keep_absence(event: AbsenceMarked, envelope: Envelope, uow: UnitOfWork) -> None:
    """An absence: a delegate acting meanwhile acts on this person's behalf (R-DUTY-2)."""
    await upsert_newer(
        uow.session,
        rc_absences,
        ["absence_key"],
        {
            "absence_key": _absence_key(event),
            "school_id": event.school_id,
            "user_id": event.user_id,
            "starts_on": event.starts_on,
            "ends_on": event.ends_on,
            "cleared": False,
        },
        event_at=envelope.occurred_at,
    )


@identity_events.on(AbsenceCleared)
async def keep_absence_cleared(event: AbsenceCleared, envelope: Envelope, uow: UnitOfWork) -> None:
    await upsert_newer(
        uow.session,
        rc_absences,
        ["absence_key"],
        {
            "absence_key": _absence_key(event),
            "school_id": event.school_id,
            "user_id": event.user_id,
            "starts_on": event.starts_on,
            "ends_on": event.ends_on,
            "cleared": True,
        },
        event_at=envelope.occurred_at,
    )


# Graduates sealed by records: answers refused, copies deleted on records' request (R-RET-1).
join_retention(records_events, service="submission", sealed=sealed_students, erase=erase)

SUBSCRIPTIONS = [records_events, artifacts_events, identity_events]
