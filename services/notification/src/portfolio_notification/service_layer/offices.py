"""Messages to an office: whoever acts for its duty now (R-DUTY-2)."""

from __future__ import annotations

from portfolio_shared.db import UnitOfWork

from ..adapters import sql
from ..domain.commands import Notify, NotifyOffice
from ..domain.errors import NoRecipientYet
from ..domain.model import Recipient
from .context import Deps
from .notify import notify


async def notify_office(cmd: NotifyOffice, uow: UnitOfWork, deps: Deps) -> int:
    acting = await sql.acting_for(uow.session, cmd.school_id, cmd.duty_code)
    if acting is None:
        # Raising rolls the whole event back: the bus retries it, then dead-letters it, and a replay
        # once identity's duty list has arrived sends everything (nothing lost, nothing twice).
        raise NoRecipientYet(f"nobody acts for duty {cmd.duty_code} at school {cmd.school_id} yet", field="duty_code")
    recipients = (Recipient(acting, {"is_student": False}), *cmd.also)
    return await notify(Notify(cmd.trigger, cmd.key, cmd.school_id, recipients, cmd.context), uow, deps)
