"""``Idempotency-Key`` on upload init, new files and completion: a retried request never starts a
second upload.

The key is stored with the principal, a hash of the request and the response, in the SAME transaction
as the effect: the effect and its key commit together or not at all (a crash in between cannot leave
an effect whose retry would repeat it). A retry with the same key and request gets the stored
response; with another request it is refused (422). Two identical requests at once: the second's
insert waits on the first's key (unique index), then replays its response. Refused requests store
nothing, so the client may retry them with the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_artifacts.adapters.orm import idempotency_keys
from portfolio_artifacts.adapters.sql import Executor
from portfolio_artifacts.domain.errors import ValidationError
from portfolio_shared.dialect import insert_for


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    principal: str
    key: str
    request_hash: str
    status_code: int


class IdempotencyKeyReused(ValidationError):
    code = "idempotency-key-reused"
    title_en = "Idempotency key reused for another request"
    title_zh = "冪等金鑰已用於其他請求"


class Replayed(Exception):
    """The request was already done: answer its stored response."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__("idempotent replay")
        self.status_code, self.body = status_code, body


def _where(claim: IdempotencyClaim) -> Any:
    return (idempotency_keys.c.principal == claim.principal) & (idempotency_keys.c.key == claim.key)


def _replay_or_refuse(claim: IdempotencyClaim, row: Any) -> Replayed:
    if row.request_hash != claim.request_hash:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request; use a new key", field="Idempotency-Key"
        )
    return Replayed(row.status_code, row.response)


async def replay_if_done(conn: Executor, claim: IdempotencyClaim | None) -> None:
    """Before any work: a request already done is replayed at once (raises :class:`Replayed`)."""
    if claim is None:
        return
    row = (await conn.execute(select(idempotency_keys).where(_where(claim)))).first()
    if row is not None:
        raise _replay_or_refuse(claim, row)


async def remember(session: AsyncSession, claim: IdempotencyClaim | None, body: Any, now: datetime) -> Any:
    """Inside the effect's transaction, before its commit: store the response with the key.

    Raises :class:`Replayed` when a concurrent twin committed first (the caller's transaction then
    rolls back, so its effect is dropped). Returns the JSON form of ``body``.
    """
    encoded = to_jsonable_python(body)
    if claim is None:
        return encoded
    values = {
        "principal": claim.principal,
        "key": claim.key,
        "request_hash": claim.request_hash,
        "status_code": claim.status_code,
        "response": encoded,
        "created_at": now,
    }
    stmt = (
        insert_for(session, idempotency_keys)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    if (await session.execute(stmt)).first() is None:
        row = (await session.execute(select(idempotency_keys).where(_where(claim)))).first()
        raise _replay_or_refuse(claim, row)
    return encoded
