"""Batches (提交批次): create one per school, kind and term; run the pre-check (檢核); exclude named
students; submit (R-SUB-1..4, R-DUTY-2).

Every change is made by the person acting for the kind's office (``domain.offices``), moves the batch
through the domain's state machine (``domain.batches``), bumps its version (two staff clicking at once
get one result and a conflict), and is written to the audit chain in the same transaction (R-RET-3).
Sending itself (package, central database, BatchSubmitted/BatchFailed) starts from ``ready``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.auth import Principal
from portfolio_shared.errors import not_found
from portfolio_shared.permissions import Permission
from portfolio_submission.adapters import repositories as repo
from portfolio_submission.adapters.report_xlsx import write_report
from portfolio_submission.domain import batches as machine
from portfolio_submission.domain.batches import BatchStatus
from portfolio_submission.domain.calendar import Term, data_term_ok
from portfolio_submission.domain.errors import Conflict, InvalidInput, UnknownStudents
from portfolio_submission.domain.kinds import is_yearly, office_duty
from portfolio_submission.domain.offices import Absence, DutyCopy, Submitter, authorise_submitter
from portfolio_submission.domain.precheck import Finding, check_rows

from .access import require
from .content import gather
from .context import Deps


@dataclass(frozen=True)
class NewBatch:
    school_id: str
    kind: str
    academic_year: int
    semester: int
    label: str = ""


async def acting_submitter(session: AsyncSession, deps: Deps, actor: Principal, school_id: str, kind: str) -> Submitter:
    """The caller as the submitter of ``kind`` at the school: permission, then the office rule."""
    require(actor, Permission.SUBMISSION_SUBMIT, school_id, rule="R-SUB-4")
    row = await repo.duty(session, school_id, office_duty(kind))
    duty = None
    absences: list[Absence] = []
    if row is not None:
        people = set(row["responsible_user_ids"]) | set(row["delegate_user_ids"])
        duty = DutyCopy(
            duty_code=row["duty_code"],
            responsible_user_ids=tuple(row["responsible_user_ids"]),
            delegate_user_ids=tuple(row["delegate_user_ids"]),
            acting_user_id=row["acting_user_id"],
            acting_is_delegate=row["acting_is_delegate"],
            acting_known=row["acting_event_at"] is not None,
            left_user_ids=frozenset(await repo.users_left(session, people)),
        )
        absences = [
            Absence(a["user_id"], a["starts_on"], a["ends_on"]) for a in await repo.absences(session, school_id, people)
        ]
    return authorise_submitter(kind, actor.user_id, duty, absences, deps.today())


async def _audit(session: AsyncSession, deps: Deps, batch: RowMapping, actor: str, action: str, **details: Any) -> None:
    await repo.write_audit(
        session,
        entry_id=str(uuid.uuid4()),
        school_id=batch["school_id"],
        actor=actor,
        action=action,
        entity="batch",
        entity_id=batch["id"],
        at=deps.now(),
        details=details,
    )


async def _load(
    session: AsyncSession, actor: Principal, school_id: str, batch_id: str, *, lock: bool = False
) -> RowMapping:
    require(actor, Permission.SUBMISSION_READ, school_id)
    row = await repo.batch(session, school_id, batch_id, lock=lock)
    if row is None:
        raise not_found(f"batch {batch_id}")
    return row


async def _save(session: AsyncSession, batch: RowMapping, values: dict[str, Any]) -> None:
    if not await repo.update_batch(session, batch["id"], batch["version"], values):
        raise Conflict(
            "the batch was changed by someone else meanwhile; reload it and try again",
            "批次已被他人同時變更，請重新載入後再試",
            code="batch-changed",
        )


async def create_batch(deps: Deps, actor: Principal, cmd: NewBatch) -> RowMapping:
    if not data_term_ok(cmd.kind, Term(cmd.academic_year, cmd.semester)):
        raise InvalidInput(
            f"{cmd.kind} is submitted per {'academic year: semester 0' if is_yearly(cmd.kind) else 'semester: 1 or 2'}",
            "此類資料的學期欄位不正確（學年資料填 0，學期資料填 1 或 2）",
            field="semester",
            rule="R-SUB-2" if is_yearly(cmd.kind) else "R-SUB-1",
        )
    async with deps.uow() as uow:
        s = uow.session
        await acting_submitter(s, deps, actor, cmd.school_id, cmd.kind)  # R-SUB-4: only the office builds it
        existing = await repo.open_batch_for(
            s, cmd.school_id, cmd.kind, cmd.academic_year, cmd.semester, machine.EDITABLE
        )
        if existing is not None:
            raise Conflict(
                f"batch {existing['id']} of this kind and term is still being prepared; use it",
                "此類資料與學期已有準備中的批次",
                code="batch-exists",
                extra={"batch_id": existing["id"]},
            )
        now = deps.now()
        batch_id = str(uuid.uuid4())
        values = {
            "id": batch_id,
            "school_id": cmd.school_id,
            "kind": cmd.kind,
            "academic_year": cmd.academic_year,
            "semester": cmd.semester,
            "status": BatchStatus.DRAFT.value,
            "version": 1,
            "label": cmd.label,
            "created_by": actor.user_id,
            "created_at": now,
            "updated_at": now,
            # One key per batch for the central database: a retry never submits twice.
            "idempotency_key": f"batch-{batch_id}",
        }
        await repo.add_batch(s, values)
        row = await repo.batch(s, cmd.school_id, batch_id)
        assert row is not None
        await _audit(
            s, deps, row, actor.user_id, "batch.created", kind=cmd.kind, term=f"{cmd.academic_year}-{cmd.semester}"
        )
        await uow.commit()
        return row


async def get_batch(deps: Deps, actor: Principal, school_id: str, batch_id: str) -> RowMapping:
    async with deps.uow() as uow:
        return await _load(uow.session, actor, school_id, batch_id)


async def list_batches(
    deps: Deps, actor: Principal, school_id: str, *, status: str | None, limit: int, offset: int
) -> Sequence[RowMapping]:
    require(actor, Permission.SUBMISSION_READ, school_id)
    async with deps.uow() as uow:
        return await repo.batches_of(uow.session, school_id, status=status, limit=limit, offset=offset)


async def run_check(deps: Deps, actor: Principal, school_id: str, batch_id: str) -> RowMapping:
    """The pre-check: every row of what would be sent, against its layout and the domain's rules."""
    async with deps.uow() as uow:
        s = uow.session
        batch = await _load(s, actor, school_id, batch_id, lock=True)
        await acting_submitter(s, deps, actor, school_id, batch["kind"])
        excluded = [e["student_id"] for e in await repo.exclusions(s, batch_id)]
        gathered = await gather(s, deps, batch, excluded)
        workbook = deps.layouts.workbook(batch["kind"])
        found = check_rows(batch["kind"], workbook, deps.layouts.date_format, gathered.rows)
        status = machine.after_check(BatchStatus(batch["status"]), len(found))
        await repo.replace_findings(s, batch_id, _finding_rows(batch_id, found[: deps.settings.max_findings]))
        now = deps.now()
        await _save(
            s,
            batch,
            {
                "status": status.value,
                "checked_at": now,
                "checked_by": actor.user_id,
                "error_count": len(found),
                "student_count": len({r.student.student_id for r in gathered.rows}),
                "row_count": len(gathered.rows),
                "updated_at": now,
            },
        )
        await _audit(s, deps, batch, actor.user_id, "batch.checked", errors=len(found), rows=len(gathered.rows))
        await uow.commit()
    return await get_batch(deps, actor, school_id, batch_id)


def _finding_rows(batch_id: str, found: Sequence[Finding]) -> list[dict[str, Any]]:
    return [
        {
            "batch_id": batch_id,
            "seq": n,
            "student_id": f.student.student_id,
            "student_name": f.student.name,
            "class_name": f.student.class_name,
            "seat_number": f.student.seat_number,
            "sheet": f.sheet,
            "row_number": f.row,
            "field": f.field,
            "rule": f.rule,
            "domain_rule": f.domain_rule,
            "message": f.message[:500],
            "source_id": f.source_id,
        }
        for n, f in enumerate(found, start=1)
    ]


async def exclude_students(
    deps: Deps, actor: Principal, school_id: str, batch_id: str, student_ids: Sequence[str], reason: str
) -> RowMapping:
    """Leave named students out of the batch, recorded (who, when, why); the batch is checked again."""
    async with deps.uow() as uow:
        s = uow.session
        batch = await _load(s, actor, school_id, batch_id, lock=True)
        await acting_submitter(s, deps, actor, school_id, batch["kind"])
        status = machine.after_exclusion(BatchStatus(batch["status"]))
        already = {e["student_id"] for e in await repo.exclusions(s, batch_id)}
        in_batch = set(await _batch_students(s, deps, batch, []))  # every student the batch would hold
        unknown = sorted(set(student_ids) - in_batch)
        if unknown:
            raise UnknownStudents(
                f"{len(unknown)} of the named students are not in this batch",
                "部分學生不在此批次中",
                field="student_ids",
                extra={"student_ids": unknown},
            )
        new = sorted(set(student_ids) - already)
        now = deps.now()
        await repo.add_exclusions(
            s,
            [
                {
                    "batch_id": batch_id,
                    "student_id": sid,
                    "excluded_by": actor.user_id,
                    "excluded_at": now,
                    "reason": reason,
                }
                for sid in new
            ],
        )
        await _save(s, batch, {"status": status.value, "updated_at": now})
        await _audit(s, deps, batch, actor.user_id, "batch.students_excluded", student_ids=new, reason=reason)
        await uow.commit()
    return await get_batch(deps, actor, school_id, batch_id)


async def _batch_students(s: AsyncSession, deps: Deps, batch: RowMapping, excluded: list[str]) -> list[str]:
    gathered = await gather(s, deps, batch, excluded)
    return list(dict.fromkeys(r.student.student_id for r in gathered.rows))


async def submit_batch(deps: Deps, actor: Principal, school_id: str, batch_id: str) -> RowMapping:
    """Hand a checked batch to sending, recording who submits and on whose behalf (R-SUB-4, R-DUTY-2).
    A batch whose check found errors is refused (R-SUB-1: submitted after checking)."""
    async with deps.uow() as uow:
        s = uow.session
        batch = await _load(s, actor, school_id, batch_id, lock=True)
        submitter = await acting_submitter(s, deps, actor, school_id, batch["kind"])
        if batch["submitted_by"] is not None and BatchStatus(batch["status"]) in machine.HANDED_OVER:
            return batch  # a retried submit: already handed to sending, nothing changes
        status = machine.for_submission(BatchStatus(batch["status"]), batch["error_count"])
        now = deps.now()
        await _save(
            s,
            batch,
            {
                "status": status.value,
                "submitted_by": submitter.submitted_by,
                "on_behalf_of": submitter.on_behalf_of,
                "submitted_at": now,
                "updated_at": now,
            },
        )
        await _audit(
            s,
            deps,
            batch,
            actor.user_id,
            "batch.submitted",
            submitted_by=submitter.submitted_by,
            on_behalf_of=submitter.on_behalf_of,
        )
        await uow.commit()
    return await get_batch(deps, actor, school_id, batch_id)


async def advance(
    session: AsyncSession, deps: Deps, batch_id: str, to: BatchStatus, *, actor: str, **values: Any
) -> RowMapping:
    """Move a batch along the sending states (``ready`` → ``building`` → ``sending`` → ``accepted`` /
    ``failed``, ``failed`` → ``ready``) inside the caller's transaction: the state machine decides, the
    version guards against a concurrent move, the audit chain records it. For the sending side."""
    batch = await repo.batch(session, None, batch_id, lock=True)
    if batch is None:
        raise not_found(f"batch {batch_id}")
    status = machine.transition(BatchStatus(batch["status"]), to)
    await _save(session, batch, {"status": status.value, "updated_at": deps.now(), **values})
    await _audit(session, deps, batch, actor, f"batch.{status.value}", **{k: str(v) for k, v in values.items()})
    moved = await repo.batch(session, None, batch_id)
    assert moved is not None
    return moved


async def cancel_batch(deps: Deps, actor: Principal, school_id: str, batch_id: str) -> RowMapping:
    async with deps.uow() as uow:
        s = uow.session
        batch = await _load(s, actor, school_id, batch_id, lock=True)
        await acting_submitter(s, deps, actor, school_id, batch["kind"])
        status = machine.transition(BatchStatus(batch["status"]), BatchStatus.CANCELLED)
        await _save(s, batch, {"status": status.value, "updated_at": deps.now()})
        await _audit(s, deps, batch, actor.user_id, "batch.cancelled")
        await uow.commit()
    return await get_batch(deps, actor, school_id, batch_id)


async def report(
    deps: Deps, actor: Principal, school_id: str, batch_id: str
) -> tuple[RowMapping, Sequence[RowMapping], Sequence[RowMapping]]:
    """The batch, its last check's findings and its exclusions."""
    async with deps.uow() as uow:
        batch = await _load(uow.session, actor, school_id, batch_id)
        return batch, await repo.findings(uow.session, batch_id), await repo.exclusions(uow.session, batch_id)


async def report_workbook(deps: Deps, actor: Principal, school_id: str, batch_id: str) -> tuple[RowMapping, str]:
    """The batch and a temporary xlsx file of its last check (the caller streams, then removes it)."""
    batch, found, excluded = await report(deps, actor, school_id, batch_id)
    path = await asyncio.to_thread(
        lambda: write_report([dict(f) for f in found], [dict(e) for e in excluded], tag=batch_id)
    )
    return batch, path


async def excluded_count(deps: Deps, batch_id: str) -> int:
    async with deps.uow() as uow:
        return len(await repo.exclusions(uow.session, batch_id))


async def people_names(deps: Deps, user_ids: Sequence[str | None]) -> dict[str, str]:
    async with deps.uow() as uow:
        return await repo.display_names(uow.session, [u for u in user_ids if u])
