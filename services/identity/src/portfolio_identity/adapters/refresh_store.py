"""Statements of refresh tokens: one row per issued token, in families (one per sign-in)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import refresh_tokens


async def insert_token(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(refresh_tokens).values(**values))


async def token(session: AsyncSession, token_id: str) -> RowMapping | None:
    return (await session.execute(select(refresh_tokens).where(refresh_tokens.c.id == token_id))).mappings().first()


async def use_token(session: AsyncSession, token_id: str, at: datetime) -> bool:
    """Mark the token rotated; False when it already was (a concurrent or replayed use)."""
    result = await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.id == token_id, refresh_tokens.c.rotated_at.is_(None))
        .values(rotated_at=at)
    )
    return getattr(result, "rowcount", 0) == 1


async def revoke_family(session: AsyncSession, family_id: str, at: datetime, reason: str) -> int:
    result = await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def revoke_all_of(session: AsyncSession, user_id: str, at: datetime, reason: str) -> int:
    """Revoke every live refresh token of the user; how many there were."""
    result = await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)
