"""A graduate's account (R-RET-1): closed when records seals the student (a graduate no longer signs
in; letters reach them, R-SUB-9), anonymised when records asks for the deletion after the archive
period. Every access token of the account is revoked at both steps (ASVS V7)."""

from __future__ import annotations

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.retention import DeletionRequested, StudentSealed
from portfolio_shared.retention import ErasureReport, ErasureTally

from ..adapters import queries
from ..adapters.retention import anonymise_accounts
from .account_changes import change_user
from .common import Caller, utcnow
from .revocation import revoke_user_tokens

CALLER = Caller.system("retention")


async def close_graduate_account(uow: UnitOfWork, event: StudentSealed) -> None:
    if not event.user_id:
        return
    user = await queries.get_user(uow.session, event.user_id)
    if user is None or user["status"] == "left":
        return
    changes = {"status": "left", "end_date": event.completed_on}
    await change_user(uow, CALLER, event.school_id, user, changes, "graduated")


async def erase(uow: UnitOfWork, request: DeletionRequested) -> ErasureReport:
    tally = ErasureTally()
    users = sorted({ref.user_id for ref in request.students if ref.user_id})
    if users:
        for kind, ids in (await anonymise_accounts(uow.session, users, utcnow())).items():
            tally.add(kind, ids)
        for user_id in users:
            revoke_user_tokens(uow, CALLER.actor_id, user_id, "left", school_id=request.school_id)
    return tally.report()
