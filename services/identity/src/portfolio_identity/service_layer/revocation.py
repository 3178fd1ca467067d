"""Publishing token revocations (ASVS V7): what identity tells every service to stop accepting.

Access tokens are verified locally by every service, so ending a sign-in or an account in
identity's tables alone leaves its access tokens working until they expire. These events, written
to the outbox in the same transaction as the change, make every service refuse the tokens issued
before the change within seconds (see `portfolio_shared.revocation`).
"""

from __future__ import annotations

from datetime import datetime

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events.identity import TokenRevocationReason, TokensRevoked

from .common import utcnow


def revoke_user_tokens(
    uow: UnitOfWork,
    actor: str,
    user_id: str,
    reason: TokenRevocationReason,
    *,
    school_id: str | None = None,
    at: datetime | None = None,
) -> None:
    """Every access token of `user_id` issued before `at` (now) is refused everywhere."""
    uow.publish(
        TokensRevoked(user_id=user_id, not_before=at or utcnow(), reason=reason), school_id=school_id, actor=actor
    )


def revoke_family_tokens(
    uow: UnitOfWork, actor: str, user_id: str, family_id: str, reason: TokenRevocationReason, at: datetime | None = None
) -> None:
    """The access tokens of one sign-in (refresh-token family) issued before `at` are refused."""
    uow.publish(
        TokensRevoked(user_id=user_id, family_id=family_id, not_before=at or utcnow(), reason=reason),
        school_id=None,
        actor=actor,
    )
