"""Every event the artifacts service consumes, declared in one place.

Records and identity own these facts; this service keeps read copies (``rc_*`` tables) so an upload
or a certification never calls another service. Each handler is an upsert that keeps the newest fact
by ``envelope.occurred_at``, so redelivered or out-of-order events leave the right state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import case, delete, func

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.base import Envelope
from portfolio_shared.events.identity import (
    AbsenceCleared,
    AbsenceMarked,
    ActingPersonChanged,
    DelegationOrderChanged,
    OnBehalfAuthorised,
    OnBehalfRevoked,
    TeacherAccountExtended,
    UserCreated,
    UserDeactivated,
    UserUpdated,
)
from portfolio_shared.events.records import (
    ArtifactCapsSet,
    EnrolmentChanged,
    PhaseWindowSet,
    StudentBasicDataChanged,
    StudentEnrolled,
    TeacherAssignmentChanged,
)
from portfolio_shared.events.submission import SelectionsFrozen
from portfolio_shared.messaging import Subscriptions
from portfolio_shared.retention import join_retention
from portfolio_shared.storage import ObjectStorage

from .adapters.freeze import freeze
from .adapters.orm import (
    rc_absences,
    rc_acting,
    rc_caps,
    rc_course_members,
    rc_courses,
    rc_delegations,
    rc_enrolments,
    rc_extensions,
    rc_on_behalf,
    rc_users,
    rc_windows,
    sealed_students,
)
from .adapters.sql import insert_ignore, upsert_newer
from .domain.enrolment import ACTIVE_STATUSES
from .service_layer.retention import eraser
from .service_layer.transfers import follow_transfer

log = logging.getLogger(__name__)
# Enrolment changes that start an enrolment at the school: its first day bounds the data (R-DATA-6).
_ARRIVALS = frozenset({"admission", "transfer_in", "visiting_study"})
records_events = Subscriptions("artifacts.records")
identity_events = Subscriptions("artifacts.identity")
submission_events = Subscriptions("artifacts.submission")


# -- records -----------------------------------------------------------------------------------
@records_events.on(TeacherAssignmentChanged)
async def keep_teacher_assignment(event: TeacherAssignmentChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Who takes a course (R-ART-1) and who certifies it: the reviewing teacher of a co-taught course,
    else its teachers (R-ART-3, R-REC-2)."""
    applied = await upsert_newer(
        uow.session,
        rc_courses,
        ["course_id"],
        {
            "course_id": event.course_id,
            "school_id": event.school_id,
            "academic_year": event.academic_year,
            "semester": event.semester,
            "teacher_user_ids": list(event.teacher_user_ids),
            "reviewing_teacher_user_id": event.reviewing_teacher_user_id,
        },
        event_at=envelope.occurred_at,
    )
    if not applied:
        return
    await uow.session.execute(delete(rc_course_members).where(rc_course_members.c.course_id == event.course_id))
    certifiers = [event.reviewing_teacher_user_id] if event.reviewing_teacher_user_id else event.teacher_user_ids
    rows = [{"course_id": event.course_id, "user_id": u, "role": "student"} for u in event.student_user_ids]
    rows += [{"course_id": event.course_id, "user_id": u, "role": "teacher"} for u in event.teacher_user_ids]
    rows += [{"course_id": event.course_id, "user_id": u, "role": "certifier"} for u in certifiers]
    await insert_ignore(uow.session, rc_course_members, rows)


@records_events.on(PhaseWindowSet)
async def keep_window(event: PhaseWindowSet, envelope: Envelope, uow: UnitOfWork) -> None:
    """Upload, certification and selection windows (R-SCHED-1, R-ART-1, R-ART-3, R-ART-4, R-PERF-1)."""
    await upsert_newer(
        uow.session,
        rc_windows,
        ["school_id", "academic_year", "semester", "phase"],
        {
            "school_id": event.school_id,
            "academic_year": event.academic_year,
            "semester": event.semester,
            "phase": event.phase,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "self_check_at": event.self_check_at,
        },
        event_at=envelope.occurred_at,
    )


@records_events.on(ArtifactCapsSet)
async def keep_caps(event: ArtifactCapsSet, envelope: Envelope, uow: UnitOfWork) -> None:
    """The school's upload caps (R-ART-2, R-PERF-1)."""
    await upsert_newer(
        uow.session,
        rc_caps,
        ["school_id"],
        {
            "school_id": event.school_id,
            "outcomes_per_semester": event.outcomes_per_semester,
            "performances_per_year": event.performances_per_year,
        },
        event_at=envelope.occurred_at,
    )


@records_events.on(EnrolmentChanged)
async def keep_enrolment_change(event: EnrolmentChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """The student's enrolment status at the school after a change (R-ENR-1): uploads and selections
    need an active one (R-DATA-6). A late, older change does not override a newer status."""
    if event.user_id is None:  # no sign-in account yet: nobody can upload as this student
        log.info("enrolment change of student %s at %s has no user id; not kept", event.student_id, event.school_id)
        return
    await upsert_newer(
        uow.session,
        rc_enrolments,
        ["school_id", "user_id"],
        {
            "school_id": event.school_id,
            "user_id": event.user_id,
            "student_id": event.student_id,
            "status": event.status,
            "since": event.effective_on,
            "admitted_on": event.effective_on if event.change in _ARRIVALS else None,
        },
        event_at=envelope.occurred_at,
        on_update={} if event.change in _ARRIVALS else {"admitted_on": rc_enrolments.c.admitted_on},
    )
    # R-ENR-1: the student's final items follow a transfer; the move happens now, as it is applied here.
    await follow_transfer(uow, event.user_id, actor=envelope.actor or "system:records", at=datetime.now(UTC))


@records_events.on(StudentEnrolled)
async def keep_student_enrolled(event: StudentEnrolled, envelope: Envelope, uow: UnitOfWork) -> None:
    """An enrolment at the school (admission, transfer in, visiting study) is active (R-ENR-1, R-DATA-6).

    The event carries no status; records publishes it right after the ``EnrolmentChanged`` of the same
    enrolment. When it is the newest fact, a row whose status is not active becomes ``enrolled``, and
    an active one (``visiting``, ``enrolled``) keeps its status and date, so a visiting student stays
    ``visiting``. Either way ``event_at`` moves on, so an older change arriving late cannot override it.
    (Should it arrive before its own ``EnrolmentChanged``, a visiting student reads ``enrolled``:
    active all the same, so nothing is refused that should not be.)
    """
    if event.user_id is None:
        log.info("enrolment of student %s at %s has no user id; not kept", event.student_id, event.school_id)
        return
    already_active = rc_enrolments.c.status.in_(sorted(ACTIVE_STATUSES))
    await upsert_newer(
        uow.session,
        rc_enrolments,
        ["school_id", "user_id"],
        {
            "school_id": event.school_id,
            "user_id": event.user_id,
            "student_id": event.student_id,
            "status": "enrolled",
            "since": event.admitted_on,
            "admitted_on": event.admitted_on,
        },
        event_at=envelope.occurred_at,
        on_update={
            "status": case((already_active, rc_enrolments.c.status), else_="enrolled"),
            "since": case((already_active, rc_enrolments.c.since), else_=event.admitted_on),
            "admitted_on": case(
                (already_active, func.coalesce(rc_enrolments.c.admitted_on, event.admitted_on)),
                else_=event.admitted_on,
            ),
        },
    )
    # R-ENR-1: the student's final items follow a transfer; the move happens now, as it is applied here.
    await follow_transfer(uow, event.user_id, actor=envelope.actor or "system:records", at=datetime.now(UTC))


@records_events.on(StudentBasicDataChanged)
async def keep_linked_user(event: StudentBasicDataChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """A user id linked (or changed) after admission: the student's enrolment at the school becomes
    known under it (R-DATA-6, R-ENR-1), and the row kept under the previous user id goes."""
    if event.previous_user_id and event.previous_user_id != event.user_id:
        await uow.session.execute(
            delete(rc_enrolments).where(
                rc_enrolments.c.school_id == event.school_id,
                rc_enrolments.c.user_id == event.previous_user_id,
                rc_enrolments.c.student_id == event.student_id,
            )
        )
    if event.user_id is None:
        return
    await upsert_newer(
        uow.session,
        rc_enrolments,
        ["school_id", "user_id"],
        {
            "school_id": event.school_id,
            "user_id": event.user_id,
            "student_id": event.student_id,
            "status": event.status,
            "since": event.status_since,
        },
        event_at=envelope.occurred_at,
    )


# -- identity ----------------------------------------------------------------------------------
@identity_events.on(UserCreated, UserUpdated, UserDeactivated)
async def keep_user_status(
    event: UserCreated | UserUpdated | UserDeactivated, envelope: Envelope, uow: UnitOfWork
) -> None:
    """Whether a teacher can still act (R-ART-5): a user who left or is suspended cannot."""
    end_date = getattr(event, "end_date", None)
    await upsert_newer(
        uow.session,
        rc_users,
        ["user_id"],
        {"user_id": event.user_id, "status": event.status, "end_date": end_date},
        event_at=envelope.occurred_at,
    )


@identity_events.on(AbsenceMarked, AbsenceCleared)
async def keep_absence(event: AbsenceMarked | AbsenceCleared, envelope: Envelope, uow: UnitOfWork) -> None:
    """An absent teacher cannot certify in those days; the delegate does (R-ART-5, R-DUTY-2)."""
    await upsert_newer(
        uow.session,
        rc_absences,
        ["user_id", "school_id", "starts_on"],
        {
            "user_id": event.user_id,
            "school_id": event.school_id,
            "starts_on": event.starts_on,
            "ends_on": event.ends_on,
            "cleared": isinstance(event, AbsenceCleared),
        },
        event_at=envelope.occurred_at,
    )


@identity_events.on(DelegationOrderChanged)
async def keep_delegation_order(event: DelegationOrderChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """The school's delegation order (代理順位) per duty (R-DUTY-1, R-ART-5)."""
    await upsert_newer(
        uow.session,
        rc_delegations,
        ["school_id", "duty_code"],
        {
            "school_id": event.school_id,
            "duty_code": event.duty_code,
            "responsible_user_ids": list(event.responsible_user_ids),
            "delegate_user_ids": list(event.delegate_user_ids),
        },
        event_at=envelope.occurred_at,
    )


@identity_events.on(ActingPersonChanged)
async def keep_acting_person(event: ActingPersonChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Who acts for a duty now (R-DUTY-2)."""
    await upsert_newer(
        uow.session,
        rc_acting,
        ["school_id", "duty_code"],
        {
            "school_id": event.school_id,
            "duty_code": event.duty_code,
            "acting_user_id": event.acting_user_id,
            "is_delegate": event.is_delegate,
        },
        event_at=envelope.occurred_at,
    )


@identity_events.on(TeacherAccountExtended)
async def keep_account_extension(event: TeacherAccountExtended, envelope: Envelope, uow: UnitOfWork) -> None:
    """A teacher who left keeps a certification-only account until a date (R-ART-5)."""
    await upsert_newer(
        uow.session,
        rc_extensions,
        ["user_id", "school_id"],
        {
            "user_id": event.user_id,
            "school_id": event.school_id,
            "until": event.until,
            "certification_only": event.certification_only,
        },
        event_at=envelope.occurred_at,
    )


@identity_events.on(OnBehalfAuthorised, OnBehalfRevoked)
async def keep_on_behalf(event: OnBehalfAuthorised | OnBehalfRevoked, envelope: Envelope, uow: UnitOfWork) -> None:
    """Staff a teacher authorised to certify on their behalf, until a date (R-ART-5)."""
    revoked = isinstance(event, OnBehalfRevoked)
    await upsert_newer(
        uow.session,
        rc_on_behalf,
        ["authorisation_id"],
        {
            "authorisation_id": event.authorisation_id,
            "school_id": event.school_id,
            "teacher_user_id": event.teacher_user_id,
            "staff_user_id": event.staff_user_id,
            "until": None if revoked else getattr(event, "until", None),
            "revoked": revoked,
        },
        event_at=envelope.occurred_at,
    )


# -- submission ----------------------------------------------------------------------------------
@submission_events.on(SelectionsFrozen)
async def freeze_selections(event: SelectionsFrozen, envelope: Envelope, uow: UnitOfWork) -> None:
    """The central database accepted a batch of outcomes or performances: lock those selections, so
    a deselect is refused (R-SUB-7, R-SUB-8). Idempotent: a redelivery sets the same values."""
    await freeze(
        uow.session,
        kind=event.kind,
        batch_id=event.batch_id,
        items=[(s.student_user_id, s.artifact_ids) for s in event.selections],
        at=envelope.occurred_at,
    )


SUBSCRIPTIONS: list[Subscriptions] = [records_events, identity_events, submission_events]


def subscriptions_for(storage: Callable[[], ObjectStorage]) -> list[Subscriptions]:
    """The runtime's subscriptions: the tables above, and records' retention events (R-RET-1), whose
    deletion needs the runtime's object storage."""
    records = Subscriptions(records_events.consumer)
    records.handlers.update(records_events.handlers)
    join_retention(records, service="artifacts", sealed=sealed_students, erase=eraser(storage))
    return [records, identity_events, submission_events]
