"""Between table rows and the domain's pure outcome state (R-ART-3..5)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_artifacts.domain.outcomes import CertificationBasis, CertificationRecord, OutcomeState, OutcomeStatus

from .errors import NotFound
from .retention import refuse_if_sealed


def outcome_state(row: Any) -> OutcomeState:
    record = None
    if row.certified_by is not None and row.certified_at is not None:
        record = CertificationRecord(
            certified_by=row.certified_by,
            on_behalf_of=row.on_behalf_of,
            basis=CertificationBasis(row.certification_basis),
            at=row.certified_at,
        )
    return OutcomeState(
        status=OutcomeStatus(row.status),
        file_version=row.version,
        selected=row.selected,
        certification=record,
        return_reason=row.return_reason,
        withdrawn_from=OutcomeStatus(row.withdrawn_from) if row.withdrawn_from else None,
    )


def state_values(state: OutcomeState) -> dict[str, Any]:
    cert = state.certification
    return {
        "status": state.status.value,
        "version": state.file_version,
        "selected": state.selected,
        "return_reason": state.return_reason,
        "withdrawn_from": state.withdrawn_from.value if state.withdrawn_from else None,
        "certified_by": cert.certified_by if cert else None,
        "on_behalf_of": cert.on_behalf_of if cert else None,
        "certification_basis": cert.basis.value if cert else None,
        "certified_at": cert.at if cert else None,
    }


async def load_for_update(
    session: AsyncSession, table: Table, artifact_id: uuid.UUID, what: str, *, lock: bool = True
) -> Any:
    """The row, locked for this transaction (PostgreSQL ``FOR UPDATE``; SQLite serialises writers)."""
    query = select(table).where(table.c.id == artifact_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound(f"{what} {artifact_id} does not exist or is not visible to you")
    # Every change of an item loads it here first: a graduate's items are sealed (R-RET-1).
    await refuse_if_sealed(session, row.student_user_id, f"change this {what}")
    return row


async def load_own(
    session: AsyncSession, table: Table, artifact_id: uuid.UUID, student_user_id: str, what: str, *, lock: bool = True
) -> Any:
    """A student acts only on their own items; anyone else's is 'not found' (existence does not leak)."""
    row = await load_for_update(session, table, artifact_id, what, lock=lock)
    if row.student_user_id != student_user_id:
        raise NotFound(f"{what} {artifact_id} does not exist or is not visible to you")
    return row
