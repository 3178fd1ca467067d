"""R-ART-5, R-DUTY-2: certification delegates as a school sets them up — named once in the duty's
order, resolved per course teacher, holding the permission to certify without being named responsible."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from identity_support import PASSWORD, World, bearer, build_world, login

pytestmark = pytest.mark.integration

DUTY = "outcome_certification"


async def _person(client: httpx.AsyncClient, world: World, login_name: str, kind: str, roles: list[str]) -> str:
    body = {"login_name": login_name, "display_name": login_name, "kind": kind, "roles": roles, "password": PASSWORD}
    r = await client.post(f"/api/v1/schools/{world.school('A')}/users", json=body, headers=world.admin)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _perms(client: httpx.AsyncClient, login_name: str, school: str) -> set[str]:
    me = await client.get("/api/v1/auth/me", headers=bearer((await login(client, login_name))["access_token"]))
    return set(me.json()["schools"].get(school, {}).get("perms", []))


async def _acting(client: httpx.AsyncClient, world: World, **params: str) -> dict[str, Any]:
    r = await client.get(
        f"/api/v1/schools/{world.school('A')}/duties/{DUTY}/acting", params=params, headers=world.headers["a-it"]
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_delegates_named_once_certify_per_course_teacher(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a, it = world.school("A"), world.headers["a-it"]
    t1, t2 = world.users["a-teacher"], await _person(client, world, "a-teacher2", "teacher", ["course_teacher"])
    d1 = await _person(client, world, "a-lib1", "staff", ["library_services"])
    d2 = await _person(client, world, "a-lib2", "staff", ["library_services"])
    r = await client.put(
        f"/api/v1/schools/{a}/duties/{DUTY}/order",
        json={"responsible_user_ids": [], "delegate_user_ids": [d1, d2]},
        headers=world.headers["a-director"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["responsible_user_ids"] == []  # course teachers are not listed one by one

    # The bug: the first delegate had no `outcome:certify` (404 at artifacts). Every named delegate
    # now holds the duty's permissions; artifacts decides per outcome which delegate may act.
    for name in ("a-lib1", "a-lib2"):
        assert {"outcome:certify", "outcome:certify_on_behalf"} <= await _perms(client, name, a)
    # A library colleague who is not a delegate does not.
    await _person(client, world, "a-lib3", "staff", ["library_services"])
    assert "outcome:certify" not in await _perms(client, "a-lib3", a)

    # Course teacher T1 leaves (not extended).
    yesterday = date.today() - timedelta(days=1)
    r = await client.patch(
        f"/api/v1/schools/{a}/users/{t1}", json={"status": "left", "end_date": str(yesterday)}, headers=it
    )
    assert r.status_code == 200, r.text

    # The bug: the duty-wide answer named an unrelated course teacher. It names the delegate who
    # steps in for a teacher who cannot certify, never another teacher.
    general = await _acting(client, world)
    assert general["acting"]["user_id"] == d1 and general["is_delegate"] is True
    assert general["on_behalf_of"] is None
    for_t1 = await _acting(client, world, teacher_user_id=t1)
    assert (for_t1["acting"]["user_id"], for_t1["on_behalf_of"]["user_id"]) == (d1, t1)
    assert for_t1["delegate_rank"] == 1 and for_t1["skipped"][0]["reason"] == "left"
    for_t2 = await _acting(client, world, teacher_user_id=t2)
    assert for_t2["acting"]["user_id"] == t2 and for_t2["is_delegate"] is False and for_t2["on_behalf_of"] is None

    # The first delegate absent: the second one certifies T1's outcomes.
    r = await client.post(
        f"/api/v1/schools/{a}/users/{d1}/absences",
        json={"starts_on": str(date.today()), "ends_on": str(date.today() + timedelta(days=2))},
        headers=world.headers["a-director"],
    )
    assert r.status_code == 201, r.text
    for_t1 = await _acting(client, world, teacher_user_id=t1)
    assert (for_t1["acting"]["user_id"], for_t1["delegate_rank"]) == (d2, 2)
    assert [s["reason"] for s in for_t1["skipped"]] == ["left", "absent"]

    # T1's account extended: T1 keeps precedence over every delegate.
    until = date.today() + timedelta(days=30)
    r = await client.post(f"/api/v1/schools/{a}/users/{t1}/extension", json={"until": str(until)}, headers=it)
    assert r.status_code == 200, r.text
    for_t1 = await _acting(client, world, teacher_user_id=t1)
    assert for_t1["acting"]["user_id"] == t1 and for_t1["is_delegate"] is False


async def test_teacher_parameter_is_for_the_certification_duty_and_this_school_only(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a, it = world.school("A"), world.headers["a-it"]
    r = await client.get(
        f"/api/v1/schools/{a}/duties/grades/acting", params={"teacher_user_id": world.users["a-teacher"]}, headers=it
    )
    assert r.status_code == 422 and r.json()["field"] == "teacher_user_id" and r.json()["rule"] == "R-DUTY-2"
    r = await client.get(
        f"/api/v1/schools/{a}/duties/{DUTY}/acting", params={"teacher_user_id": world.users["b-teacher"]}, headers=it
    )
    assert r.status_code == 404  # another school's teacher is not known here
    r = await client.get(f"/api/v1/schools/{a}/duties/{DUTY}/acting", params={"teacher_user_id": "x" * 65}, headers=it)
    assert r.status_code == 422
