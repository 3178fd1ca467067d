"""Handlers of course learning outcomes (課程學習成果): upload, new versions, completion, withdrawal,
certification and return (R-ART-1..5, R-FILE-1, R-FILE-2)."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import func, insert, select, update

from portfolio_artifacts.adapters.orm import outcomes, rc_course_members, rc_courses
from portfolio_artifacts.adapters.sql import autocommit, student_scope_lock
from portfolio_artifacts.domain import outcomes as lifecycle
from portfolio_artifacts.domain.errors import ConflictError, ValidationError
from portfolio_artifacts.domain.file_rules import check_description
from portfolio_artifacts.domain.outcomes import CertificationRecord, OutcomeStatus
from portfolio_artifacts.domain.policy import check_outcome_upload_allowed
from portfolio_shared.events.artifacts import OutcomeCertified, OutcomeReturned, OutcomeUploaded, OutcomeWithdrawn
from portfolio_shared.permissions import Permission

from . import history
from .access import can_read_outcome
from .authority import certification_last_days, resolve_authority
from .commands import (
    CertifyOutcome,
    CompleteUpload,
    DeclareNewFiles,
    ReturnOutcome,
    StartOutcomeUpload,
    WithdrawArtifact,
)
from .context import Deps
from .drafts import check_cap
from .enrolment import require_enrolled
from .errors import NotAllowed, NotFound, UploadExpired
from .files import (
    accepted_summaries,
    accepted_views,
    check_declarations,
    drop_pending,
    open_uploads,
    pending_files,
    presign_uploads,
    record_verdicts,
    supersede_older,
    verify_batch,
)
from .idempotency import remember, replay_if_done
from .state import load_for_update, load_own, outcome_state, state_values
from .transfers import follow_transfer
from .views import files_of, outcome_view, outcome_view_of
from .windows import require_window, school_policy

TITLE_MAX = 100


class CourseNotTaken(ConflictError):
    code = "course-not-taken"
    title_en = "You do not take this course this semester"
    title_zh = "非本學期修習之課程"
    default_rule = "R-ART-1"


def _require(deps: Deps, cmd: Any, permission: Permission, school_id: str, rule: str) -> None:
    if not cmd.actor.can(permission, school_id):
        raise NotAllowed(f"this action needs the permission '{permission}' at school {school_id}", rule=rule)


async def start_outcome_upload(cmd: StartOutcomeUpload, deps: Deps) -> dict[str, Any]:
    """A student starts an outcome for a course they take, inside the upload window, under the cap."""
    title = cmd.title.strip()
    if not title or len(title) > TITLE_MAX:
        raise ValidationError(f"a title of 1 to {TITLE_MAX} characters is required", field="title", rule="R-ART-1")
    description = check_description(cmd.description, rules=deps.rules)  # R-FILE-2
    declared = check_declarations(cmd.files, deps.rules, required=True)  # R-FILE-1, R-FILE-2
    me = cmd.actor.user_id
    now = deps.now()
    async with autocommit(deps.runtime.engine) as conn:  # facts from records' events, read before any lock
        await replay_if_done(conn, cmd.idempotency)
        course = (
            await conn.execute(
                select(rc_courses)
                .join(rc_course_members, rc_course_members.c.course_id == rc_courses.c.course_id)
                .where(
                    rc_courses.c.course_id == cmd.course_id,
                    rc_course_members.c.user_id == me,
                    rc_course_members.c.role == "student",
                )
            )
        ).first()
        if course is None or not cmd.actor.can(Permission.OUTCOME_UPLOAD, course.school_id):
            raise CourseNotTaken(f"you do not take course {cmd.course_id!r} this semester", field="course_id")
        await require_enrolled(conn, school_id=course.school_id, user_id=me, action="start an upload")  # R-DATA-6
        await require_window(
            conn,
            school_id=course.school_id,
            academic_year=course.academic_year,
            semester=course.semester,
            phase="outcome_upload",
            now=now,
            rule="R-ART-1",
        )
        policy = await school_policy(conn, course.school_id, deps.settings.default_policy())
    prepared = await presign_uploads(deps, course.school_id, me, declared)
    async with deps.uow() as uow:
        s = uow.session
        scope = f"upload|outcome|{me}|{course.academic_year}|{course.semester}"
        async with student_scope_lock(s, scope):
            await replay_if_done(s, cmd.idempotency)  # a twin request may have finished while we waited
            count = await s.scalar(
                select(func.count()).where(
                    outcomes.c.student_user_id == me,
                    outcomes.c.academic_year == course.academic_year,
                    outcomes.c.semester == course.semester,
                    outcomes.c.status != OutcomeStatus.WITHDRAWN.value,
                    (outcomes.c.status != OutcomeStatus.DRAFT.value) | (outcomes.c.upload_expires_at >= now),
                )
            )
            mine = (
                (outcomes.c.student_user_id == me)
                & (outcomes.c.academic_year == course.academic_year)
                & (outcomes.c.semester == course.semester)
            )
            await check_cap(  # R-ART-2; the refusal says when unfinished drafts stop counting
                lambda: check_outcome_upload_allowed(policy, int(count or 0)), s, outcomes, mine, now, "outcome"
            )
            outcome_id = uuid.uuid4()
            await s.execute(
                insert(outcomes).values(
                    id=outcome_id,
                    school_id=course.school_id,
                    origin_school_id=course.school_id,
                    student_user_id=me,
                    course_id=course.course_id,
                    academic_year=course.academic_year,
                    semester=course.semester,
                    title=title,
                    description=description,
                    status=OutcomeStatus.DRAFT.value,
                    version=1,
                    selected=False,
                    upload_expires_at=now + deps.upload_ttl * 2,
                    created_at=now,
                    updated_at=now,
                )
            )
            uploads = await open_uploads(
                s,
                deps,
                prepared,
                owner_kind="outcome",
                owner_id=outcome_id,
                school_id=course.school_id,
                student_user_id=me,
                version=1,
            )
            result = {
                "outcome_id": str(outcome_id),
                "status": "draft",
                "version": 1,
                "uploads": uploads,
                "counts_until": now + deps.upload_ttl * 2,
            }
            result = await remember(s, cmd.idempotency, result, now)
            await uow.commit()
    return result


async def declare_new_outcome_files(cmd: DeclareNewFiles, deps: Deps) -> dict[str, Any]:
    """A returned outcome takes a new version (a new object; the old one stays); a draft whose files
    were refused takes replacement files (R-ART-3, R-FILE-1)."""
    declared = check_declarations(cmd.files, deps.rules, required=True)
    now = deps.now()
    async with deps.uow() as uow:
        await replay_if_done(uow.session, cmd.idempotency)
        row = await load_own(uow.session, outcomes, cmd.artifact_id, cmd.actor.user_id, "outcome")
        status = OutcomeStatus(row.status)
        if status not in (OutcomeStatus.DRAFT, OutcomeStatus.RETURNED):
            raise lifecycle.IllegalTransition(
                f"cannot upload new files for an outcome that is {status.value}", field="status", rule="R-ART-3"
            )
        await require_enrolled(  # R-DATA-6
            uow.session, school_id=row.school_id, user_id=row.student_user_id, action="upload new files"
        )
        await require_window(
            uow.session,
            school_id=row.school_id,
            academic_year=row.academic_year,
            semester=row.semester,
            phase="outcome_upload",
            now=now,
            rule="R-ART-1",
        )
        version = row.version if status is OutcomeStatus.DRAFT else row.version + 1
        await drop_pending(uow.session, "outcome", row.id)
        prepared = await presign_uploads(deps, row.school_id, row.student_user_id, declared)
        uploads = await open_uploads(
            uow.session,
            deps,
            prepared,
            owner_kind="outcome",
            owner_id=row.id,
            school_id=row.school_id,
            student_user_id=row.student_user_id,
            version=version,
        )
        if status is OutcomeStatus.DRAFT:
            await uow.session.execute(
                update(outcomes).where(outcomes.c.id == row.id).values(upload_expires_at=now + deps.upload_ttl * 2)
            )
        result = {"outcome_id": str(row.id), "status": status.value, "version": version, "uploads": uploads}
        if status is OutcomeStatus.DRAFT:  # replacement files: the draft counts for another round
            result["counts_until"] = now + deps.upload_ttl * 2
        result = await remember(uow.session, cmd.idempotency, result, now)
        await uow.commit()
    return result


async def complete_outcome_upload(cmd: CompleteUpload, deps: Deps) -> dict[str, Any]:
    """Check every received file (size, SHA-256, real type); accept all or refuse all (R-FILE-1).

    Completion is not held to the upload window: the window was checked when the upload started, and
    bytes sent just before it closed must not be lost to a late completion.
    """
    now = deps.now()
    async with autocommit(deps.runtime.engine) as conn:  # lone reads; nothing is held during the S3 read
        await replay_if_done(conn, cmd.idempotency)
        row = (await conn.execute(select(outcomes).where(outcomes.c.id == cmd.artifact_id))).first()
        if row is None or row.student_user_id != cmd.actor.user_id:
            raise NotFound(f"outcome {cmd.artifact_id} does not exist or is not visible to you")
        status = OutcomeStatus(row.status)
        version = row.version if status is OutcomeStatus.DRAFT else row.version + 1
        rows = await pending_files(conn, "outcome", row.id, version)
        if rows:  # something would be accepted now: only during enrolment (R-DATA-6)
            await require_enrolled(
                conn, school_id=row.school_id, user_id=row.student_user_id, action="complete an upload"
            )
    if not rows:  # nothing to verify: already completed (a retry) or nothing declared
        async with deps.uow() as uow:
            return await outcome_view(uow.session, row)
    if status is OutcomeStatus.DRAFT and row.upload_expires_at is not None and row.upload_expires_at < now:
        raise UploadExpired("this upload expired before it was completed; start a new one")
    verdicts = await verify_batch(deps, rows)
    async with deps.uow() as uow:
        s = uow.session
        row = await load_own(s, outcomes, cmd.artifact_id, cmd.actor.user_id, "outcome")
        if OutcomeStatus(row.status) is not status:  # a concurrent completion won
            await replay_if_done(s, cmd.idempotency)
            return await outcome_view(s, row)
        refusal = await record_verdicts(s, verdicts, now)
        if refusal is not None:
            await uow.commit()  # the refusal is recorded; the objects are already deleted
            raise refusal
        state = outcome_state(row)
        state = lifecycle.submit(state) if status is OutcomeStatus.DRAFT else lifecycle.resubmit(state)
        if state.file_version > 1:
            await supersede_older(s, "outcome", row.id, state.file_version)
        values = {**state_values(state), "upload_expires_at": None, "updated_at": now}
        await s.execute(update(outcomes).where(outcomes.c.id == row.id).values(**values))
        uow.publish(
            OutcomeUploaded(
                outcome_id=str(row.id),
                student_user_id=row.student_user_id,
                school_id=row.school_id,
                course_id=row.course_id,
                academic_year=row.academic_year,
                semester=cast(Any, row.semester),
                version=state.file_version,
                files=accepted_summaries(rows, verdicts),
                description=row.description,
            ),
            school_id=row.school_id,
            actor=cmd.actor.user_id,
        )
        await history.record(
            s,
            kind="outcome",
            row=row,
            action="uploaded",
            actor=cmd.actor.user_id,
            at=now,
            detail={"version": state.file_version},
        )
        # The first version's files are exactly the ones just accepted; later ones also show the old.
        file_views = (
            accepted_views(rows, verdicts, now) if version == 1 else (await files_of(s, "outcome", [row.id]))[row.id]
        )
        view = await remember(s, cmd.idempotency, outcome_view_of({**row._mapping, **values}, file_views), now)
        await uow.commit()
        return view


async def withdraw_outcome(cmd: WithdrawArtifact, deps: Deps) -> dict[str, Any]:
    """The student withdraws (撤回) an outcome; a selected one must be deselected first (R-ART-4)."""
    async with deps.uow() as uow:
        row = await load_own(uow.session, outcomes, cmd.artifact_id, cmd.actor.user_id, "outcome")
        state = lifecycle.withdraw(outcome_state(row))
        now = deps.now()
        await uow.session.execute(
            update(outcomes).where(outcomes.c.id == row.id).values(**state_values(state), updated_at=now)
        )
        await history.record(
            uow.session,
            kind="outcome",
            row=row,
            action="withdrawn",
            actor=cmd.actor.user_id,
            at=now,
            detail={"from": row.status},
        )
        uow.publish(
            OutcomeWithdrawn(outcome_id=str(row.id), student_user_id=row.student_user_id, school_id=row.school_id),
            school_id=row.school_id,
            actor=cmd.actor.user_id,
        )
        await uow.commit()
        return await outcome_view(uow.session, await load_for_update(uow.session, outcomes, row.id, "outcome"))


async def _certification_target(deps: Deps, uow: Any, cmd: CertifyOutcome | ReturnOutcome) -> tuple[Any, Any]:
    # No enrolment check here, on purpose: certifying (or returning) an outcome the student uploaded
    # while enrolled stays possible after they left, transferred out, graduated or were suspended.
    # The data dates from the period of enrolment (R-DATA-6) and the teacher, or whoever acts for them,
    # still certifies what was uploaded (R-ART-5); only new uploads and selections are refused.
    await replay_if_done(uow.session, cmd.idempotency)  # a retry after a crash: the stored answer
    row = await load_for_update(uow.session, outcomes, cmd.outcome_id, "outcome")
    # A twin request holding the row lock may have committed its key meanwhile (PostgreSQL re-reads).
    await replay_if_done(uow.session, cmd.idempotency)
    at = deps.moment()
    last_days = await certification_last_days(uow.session, row.school_id, at.tz, at.now)
    last_day = last_days.get((row.academic_year, row.semester))
    authority = await resolve_authority(uow.session, cmd.actor, row.school_id, row.course_id, at.today, last_day)
    if authority is None:
        if not await can_read_outcome(uow.session, cmd.actor, row, at):
            raise NotFound(f"outcome {cmd.outcome_id} does not exist or is not visible to you")
        raise NotAllowed(
            "only the course teacher (the reviewing teacher of a co-taught course), staff they authorised, "
            "their delegate when they cannot act, or their extended account may certify this outcome",
            rule="R-ART-5",
        )
    await require_window(
        uow.session,
        school_id=row.school_id,
        academic_year=row.academic_year,
        semester=row.semester,
        phase="outcome_certification",
        now=deps.now(),
        rule="R-ART-3",
    )
    return row, authority


async def certify_outcome(cmd: CertifyOutcome, deps: Deps) -> dict[str, Any]:
    """Certify (認證), recording who certified, on whose behalf and on what basis (R-ART-3, R-ART-5)."""
    async with deps.uow() as uow:
        row, authority = await _certification_target(deps, uow, cmd)
        now = deps.now()
        record = CertificationRecord(
            certified_by=cmd.actor.user_id, on_behalf_of=authority.on_behalf_of, basis=authority.basis, at=now
        )
        state = lifecycle.certify(outcome_state(row), record)
        await uow.session.execute(
            update(outcomes).where(outcomes.c.id == row.id).values(**state_values(state), updated_at=now)
        )
        await history.record(  # R-RET-3, R-ART-5: who, on whose behalf, on what basis
            uow.session,
            kind="outcome",
            row=row,
            action="certified",
            actor=record.certified_by,
            at=now,
            on_behalf_of=record.on_behalf_of,
            basis=record.basis.value,
            detail={"version": state.file_version},
        )
        uow.publish(
            OutcomeCertified(
                outcome_id=str(row.id),
                student_user_id=row.student_user_id,
                school_id=row.school_id,
                course_id=row.course_id,
                certified_by=record.certified_by,
                on_behalf_of=record.on_behalf_of,
                basis=record.basis.value,
            ),
            school_id=row.school_id,
            actor=cmd.actor.user_id,
        )
        # Certified after the student transferred inside the district: it follows them (R-ENR-1).
        await follow_transfer(uow, row.student_user_id, actor=cmd.actor.user_id, at=now)
        view = await outcome_view(uow.session, await load_for_update(uow.session, outcomes, row.id, "outcome"))
        view = await remember(uow.session, cmd.idempotency, view, now)  # same transaction as the effect
        await uow.commit()
        return cast(dict[str, Any], view)


async def return_outcome(cmd: ReturnOutcome, deps: Deps) -> dict[str, Any]:
    """Return (退回) with a reason; the student uploads a new version (R-ART-3)."""
    async with deps.uow() as uow:
        row, authority = await _certification_target(deps, uow, cmd)
        state = lifecycle.return_to_student(outcome_state(row), cmd.reason)
        now = deps.now()
        await uow.session.execute(
            update(outcomes)
            .where(outcomes.c.id == row.id)
            .values(**state_values(state), returned_by=cmd.actor.user_id, updated_at=now)
        )
        await history.record(  # the certification it may undo stays in the history (R-RET-3)
            uow.session,
            kind="outcome",
            row=row,
            action="returned",
            actor=cmd.actor.user_id,
            at=now,
            on_behalf_of=authority.on_behalf_of,
            basis=authority.basis.value,
            detail={"reason": state.return_reason, "version": state.file_version, "from": row.status},
        )
        uow.publish(
            OutcomeReturned(
                outcome_id=str(row.id),
                student_user_id=row.student_user_id,
                school_id=row.school_id,
                returned_by=cmd.actor.user_id,
                reason=state.return_reason or "",
            ),
            school_id=row.school_id,
            actor=cmd.actor.user_id,
        )
        view = await outcome_view(uow.session, await load_for_update(uow.session, outcomes, row.id, "outcome"))
        view = await remember(uow.session, cmd.idempotency, view, now)  # same transaction as the effect
        await uow.commit()
        return cast(dict[str, Any], view)
