"""What every handler needs: who calls (`Caller`), the clock, ids, and the audit trail.

Every mutation writes one audit row (who, when, action, object, before/after of the changed
fields) in the same transaction as the change itself (R-RET-3: every change is attributable).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from portfolio_shared.audit import append
from portfolio_shared.auth import Principal
from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import Conflict, InvalidInput, forbidden, not_found

from ..adapters.orm import audit_log


def today() -> date:
    return utcnow().date()


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class Caller:
    """The person (or job) a handler acts for. `principal` None means a trusted job (CLI, start-up)."""

    actor_id: str
    principal: Principal | None = None
    client_ip: str | None = None

    @classmethod
    def system(cls, job: str) -> Caller:
        return cls(actor_id=f"system:{job}")

    @classmethod
    def of(cls, principal: Principal, client_ip: str | None = None) -> Caller:
        return cls(actor_id=principal.user_id, principal=principal, client_ip=client_ip)

    @property
    def is_system(self) -> bool:
        return self.principal is None

    @property
    def user_id(self) -> str | None:
        return None if self.principal is None else self.principal.user_id

    def can(self, permission: str, school_id: str | None = None) -> bool:
        return self.principal is None or self.principal.can(permission, school_id)

    def sees_school(self, school_id: str) -> bool:
        if self.principal is None or self.principal.district_permissions:
            return True
        return school_id in self.principal.school_ids

    def authorise(self, permission: str, school_id: str, *, what: str = "school", rule: str | None = None) -> None:
        """Object-level check: another school's object is 404 (existence does not leak), a missing
        permission at one's own school 403."""
        if self.can(permission, school_id):
            return
        if not self.sees_school(school_id):
            raise not_found(what)
        raise forbidden(f"this action needs the permission '{permission}' at this school", rule=rule)

    def require_global(self, permission: str) -> None:
        if self.principal is not None and permission not in self.principal.district_permissions:
            raise forbidden(f"this action needs the platform permission '{permission}'")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Only the fields that changed (both sides), JSON-ready. A creation or deletion keeps all fields."""
    b = {k: _jsonable(v) for k, v in (before or {}).items()} if before is not None else None
    a = {k: _jsonable(v) for k, v in (after or {}).items()} if after is not None else None
    if b is None or a is None:
        return b, a
    keys = sorted(set(b) | set(a))
    changed = [k for k in keys if b.get(k) != a.get(k)]
    return {k: b.get(k) for k in changed}, {k: a.get(k) for k in changed}


def audit_row(
    caller: Caller,
    action: str,
    object_type: str,
    object_id: str,
    *,
    school_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One audit-trail row (for bulk inserts; `audit` writes a single one)."""
    old, new = diff(before, after)
    return {
        "occurred_at": utcnow(),
        "actor_id": caller.actor_id,
        "school_id": school_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": old,
        "after": new,
        "client_ip": caller.client_ip,
    }


async def audit(
    uow: UnitOfWork,
    caller: Caller,
    action: str,
    object_type: str,
    object_id: str,
    *,
    school_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record one mutation in the audit trail, inside the caller's transaction (R-RET-3)."""
    row = audit_row(caller, action, object_type, object_id, school_id=school_id, before=before, after=after)
    await append(uow.session, audit_log, [row])


def conflict(
    code: str, title_en: str, title_zh: str, detail: str, *, field: str | None = None, rule: str | None = None
) -> Conflict:
    return Conflict(detail, field=field, rule=rule, code=code, title_en=title_en, title_zh=title_zh)


def invalid(
    code: str, title_en: str, title_zh: str, detail: str, *, field: str | None = None, rule: str | None = None
) -> InvalidInput:
    return InvalidInput(detail, field=field, rule=rule, code=code, title_en=title_en, title_zh=title_zh)
