"""Helpers of the identity tests: settings, sign-in, and a small world of two schools."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from portfolio_identity.config import Settings

ADMIN_LOGIN = "root-admin"
ADMIN_PASSWORD = "correct horse battery staple"
PASSWORD = "a-long-test-password"
SECRET = "test-key-encryption-secret"

# login suffix -> (kind, roles)
STAFF: dict[str, tuple[str, list[str]]] = {
    "it": ("staff", ["it", "principal"]),
    "registry": ("staff", ["registry"]),
    "clerk": ("staff", ["registry_clerk"]),
    "clerk2": ("staff", ["registry_clerk"]),
    "director": ("staff", ["guidance_director"]),
    "teacher": ("teacher", ["course_teacher"]),
    "student": ("student", ["student"]),
}


def settings_for(database_url: str, broker_url: str, prefix: str = "", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "broker_url": broker_url,
        "topology_prefix": prefix,
        "key_encryption_secret": SECRET,
        "bootstrap_admin_login": ADMIN_LOGIN,
        "bootstrap_admin_password": ADMIN_PASSWORD,
        "acting_refresh_seconds": 0,
        "key_activation_delay_seconds": 0,
        "log_json": False,
        **overrides,
    }
    return Settings(**values)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, login_name: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json={"login_name": login_name, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


@dataclass
class World:
    admin: dict[str, str]
    district_id: str
    schools: dict[str, str] = field(default_factory=dict)  # "A" -> school id
    users: dict[str, str] = field(default_factory=dict)  # "a-it" -> user id
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # "a-it" -> bearer headers

    def school(self, key: str) -> str:
        return self.schools[key]


async def build_world(client: httpx.AsyncClient, codes: dict[str, str] | None = None) -> World:
    """Two schools A and B of one district, each with the staff of `STAFF`, all signed in."""
    admin = bearer((await login(client, ADMIN_LOGIN, ADMIN_PASSWORD))["access_token"])
    r = await client.post("/api/v1/districts", json={"code": "TPE", "name": "臺北市政府教育局"}, headers=admin)
    assert r.status_code == 201, r.text
    world = World(admin=admin, district_id=r.json()["id"])
    for key, code in (codes or {"A": "330301", "B": "330302"}).items():
        r = await client.post(
            "/api/v1/schools",
            json={"code": code, "name": f"School {key}", "district_id": world.district_id},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        world.schools[key] = r.json()["id"]
    for key, school_id in world.schools.items():
        prefix = key.lower()
        for suffix, (kind, roles) in STAFF.items():
            body = {
                "login_name": f"{prefix}-{suffix}",
                "display_name": f"{key} {suffix}",
                "kind": kind,
                "roles": roles,
                "password": PASSWORD,
            }
            r = await client.post(f"/api/v1/schools/{school_id}/users", json=body, headers=admin)
            assert r.status_code == 201, r.text
            world.users[f"{prefix}-{suffix}"] = r.json()["id"]
    for name in world.users:
        world.headers[name] = bearer((await login(client, name))["access_token"])
    return world
