"""Nightly account sync from the school administration system (校務行政系統), R-DUTY-3.

Parse (domain.sis_export) → plan against the accounts held (domain.sis_sync.plan_sync) → apply the
valid rows together in ONE transaction with their events and audit rows. A rejected line (bad
data, or a login name owned by another school or created by hand) is reported with its line number
and touches nothing, so no partial account can exist. Applying the same file again plans nothing.
The sync manages only what it created: accounts it owns and the roles it granted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.jobs import Job, JobHandler, Progress, enqueue
from portfolio_shared.permissions import Permission
from portfolio_shared.spreadsheet import WARNING_EN, WARNING_REASON, WARNING_ZH, formula_warnings

from ..adapters import queries
from ..adapters import sis_sync_store as store
from ..adapters.orm import jobs
from ..domain.errors import SisFileUnreadable
from ..domain.roles import Role
from ..domain.sis_sync import (
    AccountKind,
    AccountStatus,
    AccountUpdate,
    ExistingAccount,
    SyncRow,
    parse_sis_export,
    plan_sync,
)
from .account_changes import change_user, grant_role, insert_users, revoke_role
from .acting import refresh_acting
from .common import Caller, audit, new_id, today, utcnow


@dataclass
class SyncReport:
    school_code: str
    file_sha256: str
    encoding: str
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "school_code": self.school_code,
            "file_sha256": self.file_sha256,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "counts": {
                "created": len(self.created),
                "updated": len(self.updated),
                "deactivated": len(self.deactivated),
                "unchanged": self.unchanged,
                "rejected": len(self.rejected),
            },
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "ignored_columns": self.ignored_columns,
        }


async def _existing(uow: UnitOfWork, school_id: str, school_code: str, logins: set[str]) -> dict[str, ExistingAccount]:
    """Accounts the plan must know: every account this school's SIS owns, and any holding a login in the file."""
    rows = await store.accounts_to_plan(uow.session, school_id, logins)
    codes: dict[str, str] = {}
    sis_roles = await store.sis_roles_at(uow.session, school_id)
    result: dict[str, ExistingAccount] = {}
    for row in rows:
        home = row["home_school_id"]
        if home is not None and home not in codes:
            school = await queries.get_school(uow.session, home)
            codes[home] = school["code"] if school else ""
        kind = row["kind"] if row["kind"] in AccountKind._value2member_map_ else AccountKind.STAFF
        result[row["login_name"]] = ExistingAccount(
            login_name=row["login_name"],
            display_name=row["display_name"],
            kind=AccountKind(kind),
            roles=frozenset(Role(r) for r in sis_roles.get(row["id"], ())),
            status=AccountStatus(row["status"]),
            school_code=codes.get(home, "") if home else "",
            end_date=row["end_date"],
            email=row["email"],
            student_number=row["student_number"],
            from_sis=row["from_sis"],
            deactivated=row["deactivated"],
        )
    return result


def _fields(row: SyncRow) -> dict[str, Any]:
    return {
        "login_name": row.login_name,
        "display_name": row.display_name,
        "kind": row.kind.value,
        "status": row.status.value,
        "end_date": row.end_date,
        "email": row.email,
        "student_number": row.student_number,
    }


async def _apply_update(uow: UnitOfWork, caller: Caller, school_id: str, change: AccountUpdate) -> None:
    user = await queries.user_by_login(uow.session, change.login_name)
    assert user is not None  # planned from the same transaction
    fields = {k: v for k, v in _fields(change.row).items() if k != "login_name" and v != user[k]}
    if user["deactivated"]:
        fields["deactivated"] = False
    await change_user(uow, caller, school_id, user, fields, reason="school administration system export")
    if await queries.member_of_school(uow.session, user["id"], school_id) is None:
        await store.add_membership(uow.session, user["id"], school_id, "sis", utcnow())
    current = await queries.roles_at_school(uow.session, user["id"], school_id)
    wanted = {r.value for r in change.row.roles}
    for role, source in sorted(current.items()):
        if source == "sis" and role not in wanted:
            await revoke_role(uow, caller, user["id"], school_id, role)
    for role in sorted(wanted - set(current)):
        await grant_role(uow, caller, user["id"], school_id, role, "sis")
    for role in sorted(wanted & {r for r, s in current.items() if s == "manual"}):
        # A role granted by hand that the SIS now also lists becomes the SIS's to manage.
        await store.hand_role_to_sis(uow.session, user["id"], school_id, role)


async def run_sync(
    uow: UnitOfWork,
    caller: Caller,
    school_id: str,
    data: bytes,
    *,
    dry_run: bool = False,
    max_deactivation_share: float | None = 0.5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import one SIS export for a school; returns the report. The caller commits (R-DUTY-3)."""
    caller.authorise(Permission.SIS_SYNC_RUN, school_id)
    school = await queries.get_school(uow.session, school_id)
    if school is None:
        raise not_found("school")
    if b"\x00" in data:
        raise SisFileUnreadable("the file contains NUL bytes: not a UTF-8 or Big5 text export", field="file")
    parsed = parse_sis_export(data, expected_school_code=school["code"])
    lines = len(parsed.rows) + len(parsed.rejected)
    if progress is not None:
        await progress("parsed", 0, lines)
    existing = await _existing(uow, school_id, school["code"], {r.login_name for r in parsed.rows})
    # An unreadable line hides whose account it is: deactivate nobody on such a file (R-DUTY-3).
    keep = frozenset(existing) if parsed.unattributed_lines else parsed.rejected_login_names
    # A refused mass deactivation is a Conflict (409) by its class (R-DUTY-3).
    plan = plan_sync(
        existing,
        parsed.rows,
        school["code"],
        keep=keep,
        max_deactivation_share=max_deactivation_share,
    )
    report = SyncReport(
        school["code"],
        hashlib.sha256(data).hexdigest(),
        parsed.encoding,
        dry_run,
        ignored_columns=list(parsed.ignored_columns),
        unchanged=len(plan.unchanged),
    )
    report.rejected = [
        {
            "line": r.line_number,
            "login_name": r.login_name,
            "field": r.field,
            "reason": r.reason,
            "reason_zh": r.reason_zh,
        }
        for r in parsed.rejected
    ]
    report.rejected += [
        {
            "line": c.line_number,
            "login_name": c.login_name,
            "field": "login_name",
            "reason": c.reason,
            "reason_zh": "帳號屬於其他學校或由平台建立，未同步",
        }
        for c in plan.conflicts
    ]
    report.rejected.sort(key=lambda r: r["line"])
    # Kept as sent, but a spreadsheet would run these cells (=, +, -, @, tab, CR): say where.
    by_line = {r.line_number: r.login_name for r in parsed.rows}
    report.warnings = [
        {
            "line": w.line_number,
            "login_name": by_line[w.line_number],
            "field": w.field,
            "reason": WARNING_REASON,
            "message": WARNING_EN,
            "message_zh": WARNING_ZH,
        }
        for w in formula_warnings(
            (r.line_number, {"display_name": r.display_name, "email": r.email, "student_number": r.student_number})
            for r in parsed.rows
        )
    ]
    report.created = [r.login_name for r in plan.create]
    report.updated = [{"login_name": u.login_name, "fields": [c.field for c in u.changes]} for u in plan.update]
    report.deactivated = list(plan.deactivate)
    if not dry_run:
        new_accounts = [(_fields(row), sorted(r.value for r in row.roles)) for row in plan.create]
        await insert_users(uow, caller, school_id, new_accounts, "sis")
        for change in plan.update:
            await _apply_update(uow, caller, school_id, change)
        for login in plan.deactivate:
            user = await queries.user_by_login(uow.session, login)
            assert user is not None
            await change_user(
                uow,
                caller,
                school_id,
                user,
                {"deactivated": True},
                reason="missing from the school administration system export",
            )
        if plan.has_changes:
            await refresh_acting(uow, caller, school_id, today(), "nightly account sync")
    body = report.as_dict()
    if progress is not None:
        await progress("applied", lines, lines)
    await store.keep_run(
        uow.session,
        {
            "id": new_id(),
            "school_id": school_id,
            "file_sha256": report.file_sha256,
            "started_at": utcnow(),
            "actor_id": caller.actor_id,
            "dry_run": dry_run,
            "report": body,
        },
    )
    await audit(
        uow,
        caller,
        "sis_sync.run",
        "school",
        school_id,
        school_id=school_id,
        after={"counts": body["counts"], "file_sha256": report.file_sha256, "dry_run": dry_run},
    )
    return body


async def get_run(uow: UnitOfWork, caller: Caller, school_id: str, run_id: str) -> dict[str, Any]:
    """One stored sync report of the school (another school's run is not found)."""
    caller.authorise(Permission.SIS_SYNC_RUN, school_id)
    row = await store.run_of(uow.session, school_id, run_id)
    if row is None:
        raise not_found("sync run")
    return dict(row)


async def list_runs(uow: UnitOfWork, caller: Caller, school_id: str, limit: int) -> list[dict[str, Any]]:
    """The school's latest sync reports, newest first: what the nightly job did (R-DUTY-3)."""
    caller.authorise(Permission.SIS_SYNC_RUN, school_id)
    fields = ("id", "started_at", "actor_id", "dry_run", "file_sha256", "report")
    return [{k: r[k] for k in fields} for r in await store.latest_runs(uow.session, school_id, limit)]


# -- the sync by upload as a long job (issue 10): 202 with a job resource, the report kept in the job
SIS_ACCOUNT_SYNC = "sis_account_sync"


async def queue_sync(uow: UnitOfWork, caller: Caller, school_id: str, data: bytes, *, dry_run: bool) -> dict[str, Any]:
    """Keep the uploaded export in a queued job (the caller commits); the permission and the school
    are checked now, so a refusal is answered at once rather than by a failed job (R-DUTY-3)."""
    caller.authorise(Permission.SIS_SYNC_RUN, school_id)
    if await queries.get_school(uow.session, school_id) is None:
        raise not_found("school")
    return await enqueue(
        uow.session, jobs, kind=SIS_ACCOUNT_SYNC, school_id=school_id, owner_id=caller.actor_id,
        params={"dry_run": dry_run}, payload=data,
    )  # fmt: skip


def sync_job(max_deactivation_share: float | None) -> JobHandler:
    """The job's work: the same sync as before, in the job's transaction, acting for the person who
    started it (their permission was checked when the job was queued; audit rows name them)."""

    async def run(uow: UnitOfWork, job: Job, progress: Progress) -> dict[str, Any]:
        if job.payload is None:
            raise RuntimeError("a sync job without its file")  # the runner drops it only once ended
        return await run_sync(
            uow, Caller(actor_id=job.owner_id), job.school_id, job.payload,
            dry_run=bool(job.params.get("dry_run")), max_deactivation_share=max_deactivation_share,
            progress=progress,
        )  # fmt: skip

    return run
