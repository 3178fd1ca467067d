"""Permission checks in the service layer (domain errors; the edge turns them into 403 problems)."""

from __future__ import annotations

from portfolio_shared.auth import Principal
from portfolio_shared.errors import forbidden


def require(actor: Principal, permission: str, school_id: str, *, rule: str | None = None) -> None:
    if not actor.can(permission, school_id):
        raise forbidden(f"this action needs the permission '{permission}' at school {school_id}", rule=rule)


def require_any(actor: Principal, permissions: tuple[str, ...], school_id: str, *, rule: str | None = None) -> None:
    if not any(actor.can(p, school_id) for p in permissions):
        raise forbidden(
            f"this action needs one of the permissions {', '.join(permissions)} at school {school_id}", rule=rule
        )
