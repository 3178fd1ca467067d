"""Read copies of other services' facts: contacts, windows, certifiers, artifacts, receipts, duties."""

from __future__ import annotations

from typing import Any

from portfolio_shared.db import UnitOfWork

from ..adapters import sql
from ..adapters.orm import course_teachers, duties, receipts, windows
from ..domain import commands as c
from ..domain.commands import EPOCH
from ..domain.model import Recipient, Trigger, trigger_key
from .context import Deps
from .notify import notify
from .reminders import _local, remind_window


async def keep_contact(cmd: c.KeepContact, uow: UnitOfWork, deps: Deps) -> int:
    if await sql.erased(uow.session, cmd.user_id):
        return 0  # deleted after the archive period (R-RET-1): a late event keeps nothing
    values: dict[str, Any] = {"user_id": cmd.user_id, "updated_at": cmd.as_of or deps.now()}
    for name, column in (("school_id", "school_id"), ("display_name", "display_name"), ("kind", "kind")):
        if getattr(cmd, name) is not None:
            values[column] = getattr(cmd, name)
    if cmd.left is not None:
        values["left_school"] = cmd.left
    if cmd.email is not None:
        values["email"] = cmd.email.strip()
    if cmd.postal_address is not None:
        values["postal"] = [cmd.postal_recipient or "", cmd.postal_code or "", cmd.postal_address]
    await sql.keep_contact(uow.session, deps.cipher, values)
    return 1


async def keep_window(cmd: c.KeepWindow, uow: UnitOfWork, deps: Deps) -> int:
    values = {
        "school_id": cmd.school_id,
        "academic_year": cmd.academic_year,
        "semester": cmd.semester,
        "phase": cmd.phase,
        "starts_at": cmd.starts_at,
        "ends_at": cmd.ends_at,
        "event_at": cmd.as_of,
    }
    keys = ["school_id", "academic_year", "semester", "phase"]
    await sql.upsert(uow.session, windows, values, keys, newer="event_at")
    values = await sql.window(uow.session, cmd.school_id, cmd.academic_year, cmd.semester, cmd.phase)  # newest wins
    # A window set (or moved) inside its reminder period reminds now, not at the scheduler's next run.
    return await remind_window(uow, deps, values, deps.now())


async def keep_certifiers(cmd: c.KeepCertifiers, uow: UnitOfWork, deps: Deps) -> int:
    values = {
        "course_id": cmd.course_id,
        "school_id": cmd.school_id,
        "certifier_user_ids": list(cmd.certifier_user_ids),
        "event_at": cmd.as_of,
    }
    await sql.upsert(uow.session, course_teachers, values, ["course_id"], newer="event_at")
    return 1


async def keep_artifact(cmd: c.KeepArtifact, uow: UnitOfWork, deps: Deps) -> int:
    values: dict[str, Any] = {
        "artifact_id": cmd.artifact_id,
        "kind": cmd.kind,
        "school_id": cmd.school_id,
        "student_user_id": cmd.student_user_id,
        "status": cmd.status or "uploaded",
        "selected": bool(cmd.selected),
        "course_id": cmd.course_id,
        "academic_year": cmd.academic_year,
        "semester": cmd.semester,
        # the fact this event carries is dated; the other one starts as "never seen"
        "status_at": cmd.as_of if cmd.status is not None else EPOCH,
        "selected_at": cmd.as_of if cmd.selected is not None else EPOCH,
    }
    update = [
        k for k in ("status", "selected", "course_id", "academic_year", "semester") if getattr(cmd, k) is not None
    ]
    await sql.set_artifact(uow.session, values, update, "status_at" if cmd.status is not None else "selected_at")
    return 1


async def keep_receipt(cmd: c.KeepReceipt, uow: UnitOfWork, deps: Deps) -> int:
    """The receipt's students and its window come in two events, in either order (R-SUB-5, R-SUB-6)."""
    values: dict[str, Any] = {"receipt_id": cmd.receipt_id, "school_id": cmd.school_id}
    if cmd.student_user_ids is not None:
        values["student_user_ids"] = list(cmd.student_user_ids)
    if cmd.opens_at is not None:
        values |= {"opens_at": cmd.opens_at, "closes_at": cmd.closes_at}
    await sql.upsert(uow.session, receipts, values, ["receipt_id"])
    row = await sql.receipt(uow.session, cmd.receipt_id)
    if row is None or row["student_user_ids"] is None or row["opens_at"] is None:
        return 0
    context = {"opens_at": _local(row["opens_at"]), "closes_at": _local(row["closes_at"])}
    return await notify(
        c.Notify(
            Trigger.RECEIPT_WINDOW_OPENED,
            trigger_key(Trigger.RECEIPT_WINDOW_OPENED, cmd.receipt_id),
            row["school_id"],
            tuple(Recipient(s) for s in row["student_user_ids"]),
            context,
        ),
        uow,
        deps,
    )


async def keep_duty(cmd: c.KeepDuty, uow: UnitOfWork, deps: Deps) -> int:
    values: dict[str, Any] = {
        "school_id": cmd.school_id,
        "duty_code": cmd.duty_code,
        "responsible_user_ids": list(cmd.responsible_user_ids or ()),
        "delegate_user_ids": list(cmd.delegate_user_ids or ()),
        "acting_user_id": cmd.acting_user_id,
    }
    update = []
    if cmd.responsible_user_ids is not None:
        update += ["responsible_user_ids", "delegate_user_ids"]
    if cmd.acting_known:
        update.append("acting_user_id")
    await sql.upsert(uow.session, duties, values, ["school_id", "duty_code"], update)
    return 1
