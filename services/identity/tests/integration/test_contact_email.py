"""Users' e-mail addresses (issue 13): encrypted at rest, masked in the audit trail, and carried to
notification by ``identity.user.contact_changed`` when set or changed — never in the clear in a table."""

from __future__ import annotations

import json

import httpx
import pytest
from identity_support import PASSWORD, build_world
from sqlalchemy import text, update

from portfolio_identity.adapters.orm import users
from portfolio_identity.service_layer.startup import on_startup
from portfolio_shared.service import ServiceRuntime

pytestmark = pytest.mark.integration


async def _stored(runtime: ServiceRuntime, user_id: str) -> str | None:
    async with runtime.engine.connect() as conn:
        value = (await conn.execute(text("SELECT email FROM users WHERE id = :id"), {"id": user_id})).scalar_one()
    return None if value is None else str(value)


async def _events(runtime: ServiceRuntime) -> list[dict[str, object]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT body FROM outbox WHERE routing_key = 'identity.user.contact_changed.v1' ORDER BY id")
        )
        return [json.loads(b)["payload"] for b in rows.scalars()]


async def test_an_email_is_encrypted_at_rest_masked_in_the_audit_and_sent_to_notification(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    world = await build_world(client, {"A": "330301"})
    school = world.school("A")
    body = {"login_name": "s-mail", "display_name": "王小明", "kind": "student", "roles": ["student"],
            "password": PASSWORD, "email": "wang@school.example"}  # fmt: skip
    r = await client.post(f"/api/v1/schools/{school}/users", json=body, headers=world.admin)
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    assert r.json()["email"] == "wang@school.example"  # the IT section sees what it entered

    stored = await _stored(runtime, user_id)
    assert stored is not None and "wang" not in stored and "@" not in stored  # an AES-GCM token
    r = await client.patch(
        f"/api/v1/schools/{school}/users/{user_id}", json={"email": "new@school.example"}, headers=world.admin
    )
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"/api/v1/schools/{school}/users/{user_id}", json={"display_name": "王大明"}, headers=world.admin
    )
    assert r.status_code == 200, r.text
    assert await _events(runtime) == [
        {"user_id": user_id, "email": "wang@school.example"},
        {"user_id": user_id, "email": "new@school.example"},  # the name change sends nothing
    ]
    async with runtime.engine.connect() as conn:
        trail = " ".join(
            json.dumps(list(r)) for r in (await conn.execute(text("SELECT before, after FROM audit_log"))).all()
        )
    assert "wang@school.example" not in trail and "new@school.example" not in trail
    assert "n***@school.example" in trail


async def test_addresses_stored_in_the_clear_before_the_upgrade_are_encrypted_at_start(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    world = await build_world(client, {"A": "330301"})
    user_id = world.users["a-it"]
    async with runtime.engine.begin() as conn:  # as revision 0006 left it: a plain address
        await conn.execute(text("UPDATE users SET email = 'legacy@school.example' WHERE id = :id"), {"id": user_id})
        await conn.execute(
            update(users).where(users.c.id == world.users["a-registry"]).values(email="x@school.example")
        )
    assert await _stored(runtime, user_id) == "legacy@school.example"
    r = await client.get(f"/api/v1/schools/{world.school('A')}/users/{user_id}", headers=world.admin)
    assert r.json()["email"] == "legacy@school.example"  # still readable before the start
    await on_startup(runtime)
    stored = await _stored(runtime, user_id)
    assert stored is not None and "legacy" not in stored
    r = await client.get(f"/api/v1/schools/{world.school('A')}/users/{user_id}", headers=world.admin)
    assert r.json()["email"] == "legacy@school.example"
