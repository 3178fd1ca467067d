"""Accounts: a person at several schools, home-school rules, and changing one's own password."""

from __future__ import annotations

import httpx
import pytest
from identity_support import PASSWORD, bearer, build_world, login

from portfolio_shared.testing.fixtures import eventually

pytestmark = pytest.mark.integration


async def test_a_teacher_joins_a_second_school(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a, b = world.school("A"), world.school("B")
    teacher = world.users["a-teacher"]
    # School B's IT may not pull in (or even see) an account of school A.
    r = await client.post(
        f"/api/v1/schools/{b}/members",
        json={"login_name": "a-teacher", "roles": ["course_teacher"]},
        headers=world.headers["b-it"],
    )
    assert r.status_code == 404
    # The platform (or the district) may.
    r = await client.post(
        f"/api/v1/schools/{b}/members",
        json={"login_name": "a-teacher", "roles": ["course_teacher"]},
        headers=world.admin,
    )
    assert r.status_code == 201, r.text
    me = (
        await client.get("/api/v1/auth/me", headers=bearer((await login(client, "a-teacher"))["access_token"]))
    ).json()
    assert set(me["schools"]) == {a, b}
    assert me["schools"][b]["roles"] == ["course_teacher"]
    # B grants its own roles; only A, the home school, changes the person or their password.
    r = await client.put(
        f"/api/v1/schools/{b}/users/{teacher}/roles",
        json={"roles": ["course_teacher", "course_counsellor"]},
        headers=world.headers["b-it"],
    )
    assert r.status_code == 200 and r.json()["roles"] == ["course_counsellor", "course_teacher"]
    r = await client.patch(
        f"/api/v1/schools/{b}/users/{teacher}", json={"status": "suspended"}, headers=world.headers["b-it"]
    )
    assert r.status_code == 403
    r = await client.put(
        f"/api/v1/schools/{b}/users/{teacher}/password",
        json={"password": "taken-over-password"},
        headers=world.headers["b-it"],
    )
    assert r.status_code == 403
    r = await client.put(
        f"/api/v1/schools/{b}/users/{teacher}/roles", json={"roles": ["student"]}, headers=world.headers["b-it"]
    )
    assert r.status_code == 422  # a teacher cannot be a student
    r = await client.put(
        f"/api/v1/schools/{b}/users/{teacher}/roles", json={"roles": ["system_admin"]}, headers=world.headers["b-it"]
    )
    assert r.status_code == 422  # platform roles are not a school's to give


async def test_new_users_follow_the_password_policy_and_unique_login(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a = world.school("A")
    body = {"login_name": "new-staff", "display_name": "N", "kind": "staff", "roles": ["registry_clerk"]}
    r = await client.post(
        f"/api/v1/schools/{a}/users", json={**body, "password": "1234567890"}, headers=world.headers["a-it"]
    )
    assert r.status_code == 422 and r.json()["field"] == "password"
    r = await client.post(
        f"/api/v1/schools/{a}/users", json={**body, "login_name": "a-clerk"}, headers=world.headers["a-it"]
    )
    assert r.status_code == 409 and r.json()["field"] == "login_name"
    r = await client.post(f"/api/v1/schools/{a}/users", json=body, headers=world.headers["a-it"])
    assert r.status_code == 201
    # no password yet: cannot sign in until IT sets one
    assert (
        await client.post("/api/v1/auth/login", json={"login_name": "new-staff", "password": PASSWORD})
    ).status_code == 401
    r = await client.put(
        f"/api/v1/schools/{a}/users/{r.json()['id']}/password",
        json={"password": PASSWORD},
        headers=world.headers["a-it"],
    )
    assert r.status_code == 204
    await login(client, "new-staff")


async def test_changing_ones_password_ends_other_sign_ins(client: httpx.AsyncClient) -> None:
    await build_world(client)
    other_device = await login(client, "a-registry")
    here = await login(client, "a-registry")
    r = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "wrong", "new_password": "x" * 12},
        headers=bearer(here["access_token"]),
    )
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    r = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=bearer(here["access_token"]),
    )
    assert r.status_code == 204
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": other_device["refresh_token"]})
    assert r.status_code == 401

    async def old_access_token_refused() -> bool:  # ASVS V7: not only the refresh tokens
        me = await client.get("/api/v1/auth/me", headers=bearer(other_device["access_token"]))
        return me.status_code == 401

    await eventually(old_access_token_refused, timeout=10)
    fresh = await login(client, "a-registry", "a brand new passphrase")
    assert (await client.get("/api/v1/auth/me", headers=bearer(fresh["access_token"]))).status_code == 200


async def test_logout_everywhere_ends_every_sign_in(client: httpx.AsyncClient) -> None:
    await build_world(client)
    phone, laptop = await login(client, "a-clerk"), await login(client, "a-clerk")
    r = await client.post("/api/v1/auth/logout-all", headers=bearer(laptop["access_token"]))
    assert r.status_code == 204
    for device in (phone, laptop):
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": device["refresh_token"]})
        assert r.status_code == 401
