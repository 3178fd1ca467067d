"""The audit trail (R-RET-3): every mutation names who did what, when — in the same transaction.

``details`` must never hold a national ID number or counselling content (R-DATA-1, R-DATA-5);
callers pass ids, codes and changed field names only.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_records.adapters.orm import audit_log
from portfolio_shared.audit import append
from portfolio_shared.clock import utcnow

now = utcnow  # the records service layer's clock, one name for its modules


async def audit(
    session: AsyncSession,
    *,
    school_id: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    details: dict[str, Any] | None = None,
) -> None:
    await append(
        session,
        audit_log,
        [
            {
                "id": uuid.uuid4(),
                "school_id": school_id,
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "at": now(),
                "details": details or {},
            }
        ],
    )
