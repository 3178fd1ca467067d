"""``Idempotency-Key`` on upload init and completion: a retried request never starts a second upload.

The key is stored with the principal and a hash of the request. The same key with the same request
replays the stored response; with another request it is refused (422); while the first request is
still running a retry gets 409. Failed requests store nothing, so the client may retry them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from portfolio_artifacts.adapters.orm import idempotency_keys
from portfolio_artifacts.adapters.sql import autocommit
from portfolio_artifacts.service_layer.context import Deps
from portfolio_shared.auth import Principal
from portfolio_shared.problems import Problem


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def idempotent(
    deps: Deps,
    actor: Principal,
    key: str | None,
    request_hash: str,
    run: Callable[[], Awaitable[dict[str, Any]]],
    status_code: int,
) -> JSONResponse:
    if key is None:
        return JSONResponse(jsonable_encoder(await run()), status_code=status_code)
    where = (idempotency_keys.c.principal == actor.user_id, idempotency_keys.c.key == key)
    now = deps.now()
    engine = deps.runtime.engine
    # Bookkeeping statements stand alone (autocommit): one round trip each, no transaction around them.
    async with autocommit(engine) as conn:
        fresh = await reserve(conn, actor.user_id, key, request_hash, now)
        row = None if fresh else (await conn.execute(select(idempotency_keys).where(*where))).first()
        if row is not None and row.status_code is None and row.request_hash == request_hash:
            # A first attempt that died without finishing must not block the key for ever.
            if row.created_at < now - deps.upload_ttl:
                taken = await conn.execute(
                    update(idempotency_keys)
                    .where(*where, idempotency_keys.c.created_at == row.created_at)
                    .values(created_at=now)
                )
                fresh = taken.rowcount == 1
    if row is not None and row.request_hash != request_hash:
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency key reused for another request",
            "冪等金鑰已用於其他請求",
            "this Idempotency-Key was used for a different request; use a new key",
            field="Idempotency-Key",
        )
    if row is not None and row.status_code is not None:
        return JSONResponse(row.response, status_code=row.status_code, headers={"Idempotent-Replayed": "true"})
    if not fresh:
        raise Problem(
            409,
            "idempotency-in-progress",
            "A request with this key is in progress",
            "相同金鑰的請求處理中",
            "the first request with this Idempotency-Key has not finished; retry shortly",
            field="Idempotency-Key",
        )
    try:
        body = jsonable_encoder(await run())
    except BaseException:
        async with autocommit(engine) as conn:
            await conn.execute(delete(idempotency_keys).where(*where, idempotency_keys.c.status_code.is_(None)))
        raise
    async with autocommit(engine) as conn:
        await conn.execute(update(idempotency_keys).where(*where).values(status_code=status_code, response=body))
    return JSONResponse(body, status_code=status_code)


async def reserve(conn: AsyncConnection, principal: str, key: str, request_hash: str, now: datetime) -> bool:
    """Insert the key; False when it already exists."""
    values = {"principal": principal, "key": key, "request_hash": request_hash, "created_at": now}
    dialect = conn.dialect.name
    stmt: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(idempotency_keys).values(**values)
    result = await conn.execute(stmt.on_conflict_do_nothing().returning(idempotency_keys.c.key))
    return result.first() is not None
