"""Handlers of multiple performances (多元表現): upload inside the school's yearly window under its cap,
the same file rules as outcomes, no teacher certification (R-PERF-1, R-FILE-1, R-FILE-3)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, update

from portfolio_artifacts.adapters.orm import performances
from portfolio_artifacts.adapters.sql import autocommit, student_scope_lock
from portfolio_artifacts.domain.enrolment import check_dates_in_enrolment
from portfolio_artifacts.domain.errors import IllegalTransition
from portfolio_artifacts.domain.file_rules import check_description
from portfolio_artifacts.domain.performances import validate_fields
from portfolio_artifacts.domain.policy import check_performance_upload_allowed
from portfolio_shared.events.artifacts import PerformanceUploaded, PerformanceWithdrawn
from portfolio_shared.permissions import Permission

from . import history
from .commands import CompleteUpload, DeclareNewFiles, StartPerformanceUpload, WithdrawArtifact
from .context import Deps
from .drafts import check_cap
from .enrolment import enrolment_start, require_enrolled
from .errors import NotAllowed, NotFound, UploadExpired
from .files import (
    accepted_summaries,
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
from .state import load_own
from .views import files_of, performance_view, performance_view_of
from .windows import require_window, school_policy


def _json_fields(values: dict[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Decimal) else v
    return out


async def start_performance_upload(cmd: StartPerformanceUpload, deps: Deps) -> dict[str, Any]:
    if not cmd.actor.can(Permission.PERFORMANCE_UPLOAD, cmd.school_id):
        raise NotAllowed(
            f"uploading needs the permission '{Permission.PERFORMANCE_UPLOAD}' at this school", rule="R-PERF-1"
        )
    catalog = deps.catalogs.get(deps.current_catalog)
    checked = validate_fields(catalog, cmd.category, cmd.fields)  # R-FILE-3
    fields = _json_fields(checked)
    description = check_description(cmd.description, rules=deps.rules)
    declared = check_declarations(cmd.files, deps.rules, required=False)
    me, now = cmd.actor.user_id, deps.now()
    async with autocommit(deps.runtime.engine) as conn:
        await replay_if_done(conn, cmd.idempotency)
        await require_enrolled(conn, school_id=cmd.school_id, user_id=me, action="start an upload")  # R-DATA-6
        check_dates_in_enrolment(checked, await enrolment_start(conn, me))  # R-DATA-6
        await require_window(
            conn,
            school_id=cmd.school_id,
            academic_year=cmd.academic_year,
            semester=None,
            phase="performance_upload",
            now=now,
            rule="R-PERF-1",
        )
        policy = await school_policy(conn, cmd.school_id, deps.settings.default_policy())
    prepared = await presign_uploads(deps, cmd.school_id, me, declared)
    async with deps.uow() as uow:
        s = uow.session
        async with student_scope_lock(s, f"upload|performance|{me}|{cmd.academic_year}"):
            await replay_if_done(s, cmd.idempotency)  # a twin request may have finished while we waited
            count = await s.scalar(
                select(func.count()).where(
                    performances.c.student_user_id == me,
                    performances.c.academic_year == cmd.academic_year,
                    performances.c.status != "withdrawn",
                    (performances.c.status != "draft") | (performances.c.upload_expires_at >= now),
                )
            )
            mine = (performances.c.student_user_id == me) & (performances.c.academic_year == cmd.academic_year)
            await check_cap(  # R-PERF-1; the refusal says when unfinished drafts stop counting
                lambda: check_performance_upload_allowed(policy, int(count or 0)),
                s,
                performances,
                mine,
                now,
                "performance",
            )
            performance_id = uuid.uuid4()
            status = "draft" if declared else "submitted"
            await s.execute(
                insert(performances).values(
                    id=performance_id,
                    school_id=cmd.school_id,
                    origin_school_id=cmd.school_id,
                    student_user_id=me,
                    academic_year=cmd.academic_year,
                    category=cmd.category,
                    catalog_version=catalog.version,
                    fields=fields,
                    description=description,
                    status=status,
                    version=1,
                    selected=False,
                    upload_expires_at=now + deps.upload_ttl * 2 if declared else None,
                    created_at=now,
                    updated_at=now,
                )
            )
            uploads = await open_uploads(
                s,
                deps,
                prepared,
                owner_kind="performance",
                owner_id=performance_id,
                school_id=cmd.school_id,
                student_user_id=me,
                version=1,
            )
            if not declared:  # a record without files is complete at once
                await history.record(
                    s,
                    kind="performance",
                    row=SimpleNamespace(id=performance_id, school_id=cmd.school_id, student_user_id=me),
                    action="uploaded",
                    actor=me,
                    at=now,
                    detail={"version": 1},
                )
                uow.publish(
                    PerformanceUploaded(
                        performance_id=str(performance_id),
                        student_user_id=me,
                        school_id=cmd.school_id,
                        academic_year=cmd.academic_year,
                        category=cmd.category,
                        catalog_version=catalog.version,
                        files=[],
                        fields=dict(fields),
                        description=description,
                    ),
                    school_id=cmd.school_id,
                    actor=me,
                )
            result = {
                "performance_id": str(performance_id),
                "status": status,
                "version": 1,
                "uploads": uploads,
                "counts_until": now + deps.upload_ttl * 2 if declared else None,
            }
            result = await remember(s, cmd.idempotency, result, now)
            await uow.commit()
    return result


async def declare_new_performance_files(cmd: DeclareNewFiles, deps: Deps) -> dict[str, Any]:
    """Replacement files for a draft, or a new version of a submitted performance (a new object)."""
    declared = check_declarations(cmd.files, deps.rules, required=True)
    now = deps.now()
    async with deps.uow() as uow:
        await replay_if_done(uow.session, cmd.idempotency)
        row = await load_own(uow.session, performances, cmd.artifact_id, cmd.actor.user_id, "performance")
        if row.status == "withdrawn" or row.selected:
            why = "withdrawn" if row.status == "withdrawn" else "selected for submission; deselect it first"
            raise IllegalTransition(f"cannot upload new files for a performance that is {why}", rule="R-PERF-2")
        await require_enrolled(  # R-DATA-6
            uow.session, school_id=row.school_id, user_id=row.student_user_id, action="upload new files"
        )
        await require_window(
            uow.session,
            school_id=row.school_id,
            academic_year=row.academic_year,
            semester=None,
            phase="performance_upload",
            now=now,
            rule="R-PERF-1",
        )
        version = row.version if row.status == "draft" else row.version + 1
        await drop_pending(uow.session, "performance", row.id)
        prepared = await presign_uploads(deps, row.school_id, row.student_user_id, declared)
        uploads = await open_uploads(
            uow.session,
            deps,
            prepared,
            owner_kind="performance",
            owner_id=row.id,
            school_id=row.school_id,
            student_user_id=row.student_user_id,
            version=version,
        )
        if row.status == "draft":
            await uow.session.execute(
                update(performances)
                .where(performances.c.id == row.id)
                .values(upload_expires_at=now + deps.upload_ttl * 2)
            )
        result = {"performance_id": str(row.id), "status": row.status, "version": version, "uploads": uploads}
        if row.status == "draft":  # replacement files: the draft counts for another round
            result["counts_until"] = now + deps.upload_ttl * 2
        result = await remember(uow.session, cmd.idempotency, result, now)
        await uow.commit()
    return result


async def complete_performance_upload(cmd: CompleteUpload, deps: Deps) -> dict[str, Any]:
    now = deps.now()
    async with autocommit(deps.runtime.engine) as conn:  # lone reads; nothing is held during the S3 read
        await replay_if_done(conn, cmd.idempotency)
        row = (await conn.execute(select(performances).where(performances.c.id == cmd.artifact_id))).first()
        if row is None or row.student_user_id != cmd.actor.user_id:
            raise NotFound(f"performance {cmd.artifact_id} does not exist or is not visible to you")
        version = row.version if row.status == "draft" else row.version + 1
        rows = await pending_files(conn, "performance", row.id, version)
        if rows:  # something would be accepted now: only during enrolment (R-DATA-6)
            await require_enrolled(
                conn, school_id=row.school_id, user_id=row.student_user_id, action="complete an upload"
            )
    if not rows:
        async with deps.uow() as uow:
            return await performance_view(uow.session, row)
    if row.status == "draft" and row.upload_expires_at is not None and row.upload_expires_at < now:
        raise UploadExpired("this upload expired before it was completed; start a new one", rule="R-PERF-1")
    verdicts = await verify_batch(deps, rows)
    seen = (row.status, row.version)
    async with deps.uow() as uow:
        s = uow.session
        row = await load_own(s, performances, cmd.artifact_id, cmd.actor.user_id, "performance")
        if (row.status, row.version) != seen:
            await replay_if_done(s, cmd.idempotency)  # a concurrent completion won
            return await performance_view(s, row)
        refusal = await record_verdicts(s, verdicts, now)
        if refusal is not None:
            await uow.commit()  # the refusal is recorded; the objects are already deleted
            raise refusal
        if version > 1:
            await supersede_older(s, "performance", row.id, version)
        values = {"status": "submitted", "version": version, "upload_expires_at": None, "updated_at": now}
        await s.execute(update(performances).where(performances.c.id == row.id).values(**values))
        uow.publish(
            PerformanceUploaded(
                performance_id=str(row.id),
                student_user_id=row.student_user_id,
                school_id=row.school_id,
                academic_year=row.academic_year,
                category=row.category,
                catalog_version=row.catalog_version,
                files=accepted_summaries(rows, verdicts),
                fields=dict(row.fields or {}),
                description=row.description,
            ),
            school_id=row.school_id,
            actor=cmd.actor.user_id,
        )
        await history.record(
            s,
            kind="performance",
            row=row,
            action="uploaded",
            actor=cmd.actor.user_id,
            at=now,
            detail={"version": version},
        )
        file_views = (await files_of(s, "performance", [row.id]))[row.id]
        view = await remember(s, cmd.idempotency, performance_view_of({**row._mapping, **values}, file_views), now)
        await uow.commit()
        return view


async def withdraw_performance(cmd: WithdrawArtifact, deps: Deps) -> dict[str, Any]:
    async with deps.uow() as uow:
        row = await load_own(uow.session, performances, cmd.artifact_id, cmd.actor.user_id, "performance")
        if row.status == "withdrawn":
            raise IllegalTransition("the performance is already withdrawn", field="status")
        if row.selected:
            raise IllegalTransition(
                "cannot withdraw a performance selected for submission; deselect it first",
                field="status",
                rule="R-PERF-2",
            )
        now = deps.now()
        await uow.session.execute(
            update(performances).where(performances.c.id == row.id).values(status="withdrawn", updated_at=now)
        )
        await history.record(
            uow.session,
            kind="performance",
            row=row,
            action="withdrawn",
            actor=cmd.actor.user_id,
            at=now,
            detail={"from": row.status},
        )
        uow.publish(
            PerformanceWithdrawn(
                performance_id=str(row.id), student_user_id=row.student_user_id, school_id=row.school_id
            ),
            school_id=row.school_id,
            actor=cmd.actor.user_id,
        )
        await uow.commit()
        return await performance_view(
            uow.session, await load_own(uow.session, performances, row.id, row.student_user_id, "performance")
        )
