"""Passwords (ASVS V6) through the API: common, repeated, login- and school-based passwords are
refused with a problem+json that names each broken rule, in English and zh-TW."""

from __future__ import annotations

import httpx
import pytest
from identity_support import PASSWORD, build_world

pytestmark = pytest.mark.integration


WEAK = [
    ("b-new-1", "password12", "common_password"),
    ("b-new-2", "qwertyuiop", "common_password"),
    ("b-new-3", "aaaaaaaaaa", "common_password"),
    ("lin.meiling", "lin.meiling2025", "built_from_login_or_school"),
    ("b-new-4", "330302-ab!c", "built_from_login_or_school"),  # school B's code
]


async def test_weak_passwords_are_refused_with_the_rule(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    for login, password, rule in WEAK:
        body = {"login_name": login, "display_name": "x", "kind": "teacher", "roles": [], "password": password}
        r = await client.post(f"/api/v1/schools/{world.school('B')}/users", json=body, headers=world.admin)
        assert r.status_code == 422, (password, r.text)
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert problem["code"] == "password-policy" and problem["field"] == "password"
        assert rule in {e["rule"] for e in problem["errors"]}, password
        assert all(e["message"] and e["message_zh"] for e in problem["errors"])
    body = {"login_name": "lin.meiling", "display_name": "x", "kind": "teacher", "roles": [], "password": PASSWORD}
    r = await client.post(f"/api/v1/schools/{world.school('B')}/users", json=body, headers=world.admin)
    assert r.status_code == 201, r.text


async def test_changing_ones_password_to_a_common_one_is_refused(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    r = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "password12"},
        headers=world.headers["a-teacher"],
    )
    assert r.status_code == 422 and r.json()["field"] == "new_password"
    assert [e["rule"] for e in r.json()["errors"]] == ["common_password"]
