"""The service starts, signs in its first administrator and builds two schools."""

from __future__ import annotations

import httpx
import pytest
from identity_support import build_world

pytestmark = pytest.mark.integration


async def test_world_builds(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    r = await client.get("/api/v1/auth/me", headers=world.headers["a-it"])
    assert r.status_code == 200, r.text
    claims = r.json()
    assert "users:manage" in claims["schools"][world.schools["A"]]["perms"]
