"""Deleting a graduate's data here (R-RET-1): contact data (name, e-mail and postal address, all
encrypted), every message to them (inbox, e-mail, letters) and this service's copies of their items.
The confirmation carries counts and SHA-256 digests of the deleted ids, never an address or a text."""

from __future__ import annotations

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.retention import DeletionRequested
from portfolio_shared.retention import ErasureReport, ErasureTally

from ..adapters import sql


async def erase(uow: UnitOfWork, request: DeletionRequested) -> ErasureReport:
    tally = ErasureTally()
    users = sorted({ref.user_id for ref in request.students if ref.user_id})
    if users:
        for kind, ids in (await sql.erase_people(uow.session, users)).items():
            tally.add(kind, ids)
    return tally.report()
