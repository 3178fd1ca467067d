"""District administrators manage their district's schools only; the CLI bootstraps the platform."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from identity_support import PASSWORD, bearer, build_world, login, settings_for

from portfolio_identity.app import create
from portfolio_identity.bootstrap import bootstrap
from portfolio_identity.cli import main as cli_main
from portfolio_shared.testing.harness import running

pytestmark = pytest.mark.integration


async def test_district_admin_manages_only_their_district(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    admin = world.admin
    other = (await client.post("/api/v1/districts", json={"code": "NTPC", "name": "新北市"}, headers=admin)).json()
    r = await client.post(
        f"/api/v1/schools/{world.school('A')}/users",
        json={"login_name": "d-admin", "display_name": "District", "kind": "staff", "password": PASSWORD},
        headers=admin,
    )
    assert r.status_code == 201
    r = await client.post(
        f"/api/v1/districts/{world.district_id}/admins", json={"user_id": r.json()["id"]}, headers=admin
    )
    assert r.status_code == 204
    assert (
        await client.post(
            f"/api/v1/districts/{world.district_id}/admins", json={"user_id": "x"}, headers=world.headers["a-it"]
        )
    ).status_code == 403
    district = bearer((await login(client, "d-admin"))["access_token"])
    me = (await client.get("/api/v1/auth/me", headers=district)).json()
    assert set(me["schools"]) == {world.school("A"), world.school("B")}
    assert "schools:manage" in me["schools"][world.school("B")]["perms"] and me["district_perms"] == []

    r = await client.post(
        "/api/v1/schools", json={"code": "330303", "name": "C", "district_id": world.district_id}, headers=district
    )
    assert r.status_code == 201
    r = await client.post(
        "/api/v1/schools", json={"code": "140301", "name": "D", "district_id": other["id"]}, headers=district
    )
    assert r.status_code == 403
    r = await client.post(
        "/api/v1/schools", json={"code": "12345", "name": "E", "district_id": world.district_id}, headers=district
    )
    assert r.status_code == 422 and r.json()["field"] == "school_code"
    r = await client.patch(f"/api/v1/schools/{world.school('B')}", json={"name": "B 校"}, headers=district)
    assert r.status_code == 200 and r.json()["name"] == "B 校"
    r = await client.patch(f"/api/v1/schools/{world.school('B')}", json={"district_id": other["id"]}, headers=district)
    assert r.status_code == 403  # moving schools between districts is the platform's call
    assert [d["code"] for d in (await client.get("/api/v1/districts", headers=district)).json()] == ["TPE"]
    platform = (await client.get("/api/v1/audit", params={"action": "district.created"}, headers=admin)).json()
    assert platform["total"] == 2
    assert (await client.get("/api/v1/audit", headers=district)).status_code == 403


async def test_cli_bootstraps_admin_demo_data_and_rotates_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(
        f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}",
        f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        environment="development",
        bootstrap_admin_login="",
        bootstrap_admin_password="",
    )

    def cli(*argv: str) -> dict:  # type: ignore[type-arg]
        assert cli_main(list(argv), settings) == 0
        return json.loads(capsys.readouterr().out or "{}")  # type: ignore[no-any-return]

    await asyncio.to_thread(cli, "migrate")
    assert (await asyncio.to_thread(cli, "bootstrap-admin", "--login", "first-admin", "--password", PASSWORD)) == {
        "created": True,
        "login_name": "first-admin",
    }
    assert (await asyncio.to_thread(cli, "bootstrap-admin", "--login", "first-admin", "--password", PASSWORD))[
        "created"
    ] is False
    demo = await asyncio.to_thread(cli, "demo")
    assert demo["created"] and "demo-it" in demo["users"]
    assert (await asyncio.to_thread(cli, "demo"))["created"] is False
    rotated = await asyncio.to_thread(cli, "rotate-key")
    assert rotated["kid"]
    assert "changed" in await asyncio.to_thread(cli, "refresh-acting")

    runtime = bootstrap(settings)
    async with running(runtime, create) as client:
        tokens = await login(client, "demo-it", demo["users"]["demo-it"])
        me = (await client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))).json()
        assert any("users:manage" in s["perms"] for s in me["schools"].values())
        await login(client, "first-admin", PASSWORD)
        jwks = (await client.get("/.well-known/jwks.json")).json()
        assert rotated["kid"] in {k["kid"] for k in jwks["keys"]}
