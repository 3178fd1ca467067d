"""Drafts (uploads started, never completed) and the upload cap: when a draft stops counting, and
cancelling one at once (R-ART-2, R-PERF-1).

A draft counts towards the school's cap until its upload links have expired twice over
(``upload_expires_at``), so a student who started an upload and walked away is not locked out for
long. A student who knows they will not finish cancels the draft instead: it stops counting at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update

from portfolio_artifacts.adapters.orm import files, outcomes, performances
from portfolio_artifacts.adapters.sql import Executor
from portfolio_artifacts.domain.errors import ConflictError, UploadCapReached
from portfolio_shared.timefmt import format_school

from .commands import CancelDraft
from .context import Deps
from .state import load_own

log = logging.getLogger(__name__)

_TABLES: dict[str, Table] = {"outcome": outcomes, "performance": performances}


class NotADraft(ConflictError):
    code = "not-a-draft"
    title_en = "Only an upload that was never completed can be cancelled"
    title_zh = "僅能取消尚未完成上傳的草稿"


async def counting_drafts(session: Executor, table: Table, scope: Any, now: datetime) -> list[Any]:
    """The student's drafts that still count towards the cap, oldest expiry first."""
    rows = await session.execute(
        select(table.c.id, table.c.upload_expires_at)
        .where(scope, table.c.status == "draft", table.c.upload_expires_at >= now)
        .order_by(table.c.upload_expires_at)
    )
    return list(rows)


def drafts_note(kind: str, drafts: Sequence[Any]) -> str:
    """What a student at the cap can do about drafts: when each stops counting, and how to cancel."""
    if not drafts:
        return ""
    listed = ", ".join(f"{d.id} until {format_school(d.upload_expires_at)}" for d in drafts)
    return (
        f"; {len(drafts)} of them never completed and count only until their upload links lapse "
        f"({listed}); cancel one at once with DELETE /api/v1/{kind}s/{{id}}"
    )


async def check_cap(
    check: Callable[[], None], session: Executor, table: Table, scope: Any, now: datetime, kind: str
) -> None:
    """Run the domain's cap check; a refusal also says when the student's drafts stop counting."""
    try:
        check()
    except UploadCapReached as exc:
        exc.detail += drafts_note(kind, await counting_drafts(session, table, scope, now))
        raise


async def cancel_draft(cmd: CancelDraft, deps: Deps) -> dict[str, Any]:
    """The student cancels their own draft: it stops counting towards the cap at once (R-ART-2,
    R-PERF-1). Whatever was already PUT for it is deleted from storage; nothing was accepted, so
    nothing kept is lost. A completed item is withdrawn instead (POST .../withdraw), not cancelled."""
    table = _TABLES[cmd.kind]
    now = deps.now()
    async with deps.uow() as uow:
        s = uow.session
        row = await load_own(s, table, cmd.artifact_id, cmd.actor.user_id, cmd.kind)  # another's → 404
        if row.status != "draft":
            raise NotADraft(
                f"this {cmd.kind} is {row.status}, not a draft; a completed {cmd.kind} is withdrawn with "
                f"POST /api/v1/{cmd.kind}s/{row.id}/withdraw",
                field="status",
                rule="R-ART-2" if cmd.kind == "outcome" else "R-PERF-1",
            )
        keys = list(
            (
                await s.execute(
                    select(files.c.object_key).where(
                        files.c.owner_kind == cmd.kind, files.c.owner_id == row.id, files.c.status == "pending"
                    )
                )
            ).scalars()
        )
        await s.execute(
            update(files)
            .where(files.c.owner_kind == cmd.kind, files.c.owner_id == row.id, files.c.status == "pending")
            .values(status="refused", refusal="cancelled by the student before completion")
        )
        values: dict[str, Any] = {"status": "withdrawn", "upload_expires_at": None, "updated_at": now}
        if "withdrawn_from" in table.c:
            values["withdrawn_from"] = "draft"
        await s.execute(update(table).where(table.c.id == row.id).values(**values))
        await uow.commit()
    for key in keys:  # after the commit: a crash here leaves an orphan object, never a dangling row
        try:
            await deps.storage.delete(key)
        except Exception:  # an object never PUT, or storage down: the draft is cancelled either way
            log.warning("could not delete the object of a cancelled draft", extra={"object_key": key})
    return {}
