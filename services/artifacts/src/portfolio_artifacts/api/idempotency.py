"""The HTTP side of ``Idempotency-Key`` (the keys themselves live in the service layer, stored in the
same transaction as the effect): request fingerprints and replayed responses."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from portfolio_artifacts.service_layer.context import Deps
from portfolio_artifacts.service_layer.handlers import handle
from portfolio_artifacts.service_layer.idempotency import IdempotencyClaim, Replayed
from portfolio_shared.auth import Principal


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def claim_for(
    actor: Principal, key: str | None, method: str, path: str, body: Any, status_code: int
) -> IdempotencyClaim | None:
    if key is None:
        return None
    return IdempotencyClaim(actor.user_id, key, fingerprint(method, path, body), status_code)


async def run(cmd: object, deps: Deps, status_code: int, model: type[BaseModel]) -> JSONResponse:
    """Handle a command that may carry an idempotency claim; a replay answers the stored response.

    Both go through the operation's response model, so a replay and a first answer look alike and
    every time in them has the one format of ``portfolio_shared.timefmt`` (not ``+00:00`` here and
    ``Z`` elsewhere).
    """
    try:
        body = await handle(cmd, deps)
    except Replayed as replay:
        return JSONResponse(
            model.model_validate(replay.body).model_dump(mode="json"),
            status_code=replay.status_code,
            headers={"Idempotent-Replayed": "true"},
        )
    return JSONResponse(model.model_validate(body).model_dump(mode="json"), status_code=status_code)
