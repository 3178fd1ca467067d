"""Attributable history (R-RET-3, R-ART-5): every certification, return, selection, deselection,
withdrawal, upload and transfer of an outcome or performance, with who did it, on whose behalf, when
and what. Written in the same transaction as the change it describes; rows are only ever inserted,
so a return never erases who certified before it.

Readable by the student (their own items) and by staff of the school with ``outcome:read_all`` /
``performance:read_all`` (rows of their school), and per item by whoever may read the item.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_artifacts.adapters.orm import artifact_history, outcomes, performances
from portfolio_artifacts.adapters.sql import Executor, autocommit
from portfolio_shared import audit as chain
from portfolio_shared.auth import Principal
from portfolio_shared.permissions import Permission

from .access import can_read_outcome, can_read_performance
from .context import Deps
from .errors import NotFound

Kind = Literal["outcome", "performance"]
Action = Literal["uploaded", "certified", "returned", "selected", "deselected", "withdrawn", "transferred"]
ACTIONS: tuple[str, ...] = get_args(Action)


async def record(
    session: AsyncSession,
    *,
    kind: Kind,
    row: Any,
    action: Action,
    actor: str,
    at: datetime,
    on_behalf_of: str | None = None,
    basis: str | None = None,
    detail: dict[str, Any] | None = None,
    school_id: str | None = None,
) -> None:
    """Append one entry for ``row`` (an outcome or performance row) to the tamper-evident chain
    (R-RET-3, portfolio_shared.audit). Call before the change's commit."""
    entry = {
        "school_id": school_id or row.school_id,
        "student_user_id": row.student_user_id,
        "artifact_kind": kind,
        "artifact_id": row.id,
        "action": action,
        "actor_user_id": actor,
        "on_behalf_of": on_behalf_of,
        "basis": basis,
        "detail": detail,
        "at": at,
    }
    await chain.append(session, artifact_history, [entry])


def entry_view(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "school_id": r.school_id,
        "student_user_id": r.student_user_id,
        "kind": r.artifact_kind,
        "artifact_id": str(r.artifact_id),
        "action": r.action,
        "actor_user_id": r.actor_user_id,
        "on_behalf_of": r.on_behalf_of,
        "basis": r.basis,
        "detail": r.detail,
        "at": r.at,
    }


async def _page(conn: Executor, where: ColumnElement[bool], limit: int, offset: int) -> list[dict[str, Any]]:
    query = (
        select(artifact_history)
        .where(where)
        .order_by(artifact_history.c.id)  # the order they were appended in
        .limit(limit)
        .offset(offset)
    )
    return [entry_view(r) for r in await conn.execute(query)]


async def item_history(
    deps: Deps, actor: Principal, kind: Kind, artifact_id: uuid.UUID, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The whole history of one item, oldest first, for whoever may read the item (another school's
    or student's item: 404). After a transfer this includes what the old school did (R-ENR-1)."""
    table = outcomes if kind == "outcome" else performances
    async with autocommit(deps.runtime.engine) as conn:
        row = (await conn.execute(select(table).where(table.c.id == artifact_id))).first()
        visible = row is not None and (
            await can_read_outcome(conn, actor, row, deps.moment())
            if kind == "outcome"
            else can_read_performance(actor, row)
        )
        if not visible:
            raise NotFound(f"{kind} {artifact_id} does not exist or is not visible to you")
        where = and_(artifact_history.c.artifact_kind == kind, artifact_history.c.artifact_id == artifact_id)
        return await _page(conn, where, limit, offset)


async def school_history(
    deps: Deps, actor: Principal, filters: dict[str, Any], limit: int, offset: int
) -> list[dict[str, Any]]:
    """History entries the caller may read: their own items', and for staff those recorded at the
    schools where they read all outcomes / performances. Oldest first, filtered, one page."""
    scopes: list[ColumnElement[bool]] = [artifact_history.c.student_user_id == actor.user_id]
    for kind, permission in (
        ("outcome", Permission.OUTCOME_READ_ALL),
        ("performance", Permission.PERFORMANCE_READ_ALL),
    ):
        schools = sorted(s for s in actor.school_ids if actor.can(permission, s))
        if schools:
            scopes.append(and_(artifact_history.c.artifact_kind == kind, artifact_history.c.school_id.in_(schools)))
    where: ColumnElement[bool] = or_(*scopes)
    columns = {"school_id": "school_id", "student_user_id": "student_user_id", "kind": "artifact_kind"}
    columns |= {"action": "action", "artifact_id": "artifact_id"}
    for name, value in filters.items():
        if value is not None:
            where = and_(where, artifact_history.c[columns[name]] == value)
    async with autocommit(deps.runtime.engine) as conn:
        return await _page(conn, where, limit, offset)
