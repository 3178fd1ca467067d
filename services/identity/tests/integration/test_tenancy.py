"""Object-level authorisation: a token of school A on any object of school B gets 403/404 and no data.

Every endpoint under /api/v1/schools/{school_id} is in the matrix (checked against the OpenAPI
document), so a new endpoint cannot skip the check unnoticed.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import pytest
from identity_support import build_world

pytestmark = pytest.mark.integration


async def test_school_a_token_never_reaches_school_b(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a, b = world.school("A"), world.school("B")
    until = str(date.today() + timedelta(days=30))
    r = await client.post(
        f"/api/v1/schools/{b}/users/{world.users['b-registry']}/absences",
        json={"starts_on": str(date.today()), "ends_on": until},
        headers=world.headers["b-director"],
    )
    assert r.status_code == 201
    absence_b = r.json()["id"]
    r = await client.post(
        f"/api/v1/schools/{b}/on-behalf",
        json={"staff_user_id": world.users["b-clerk"], "until": until},
        headers=world.headers["b-teacher"],
    )
    assert r.status_code == 201, r.text
    on_behalf_b = r.json()["id"]
    b_user, b_teacher = world.users["b-registry"], world.users["b-teacher"]
    csv = b"login_name,display_name,kind,roles,status,school_code\nx1,X,student,,active,330302\n"

    matrix: list[tuple[str, str, dict | None]] = [  # type: ignore[type-arg]
        ("GET", "/api/v1/schools/{school_id}", None),
        ("PATCH", "/api/v1/schools/{school_id}", {"name": "taken over"}),
        (
            "POST",
            "/api/v1/schools/{school_id}/users",
            {"login_name": "intruder", "display_name": "I", "kind": "staff", "roles": ["it"], "password": "x" * 12},
        ),
        ("GET", "/api/v1/schools/{school_id}/users", None),
        ("POST", "/api/v1/schools/{school_id}/members", {"login_name": "a-it", "roles": ["it"]}),
        ("GET", f"/api/v1/schools/{{school_id}}/users/{b_user}", None),
        ("PATCH", f"/api/v1/schools/{{school_id}}/users/{b_user}", {"status": "suspended"}),
        ("PUT", f"/api/v1/schools/{{school_id}}/users/{b_user}/roles", {"roles": ["it"]}),
        ("PUT", f"/api/v1/schools/{{school_id}}/users/{b_user}/password", {"password": "hijacked-password"}),
        ("GET", "/api/v1/schools/{school_id}/duties", None),
        (
            "POST",
            "/api/v1/schools/{school_id}/duties",
            {"code": "x", "name_en": "x", "name_zh": "x", "responsible_roles": ["it"]},
        ),
        ("GET", "/api/v1/schools/{school_id}/duties/enrolment", None),
        ("PATCH", "/api/v1/schools/{school_id}/duties/enrolment", {"note": "x"}),
        (
            "PUT",
            "/api/v1/schools/{school_id}/duties/enrolment/order",
            {"responsible_user_ids": [world.users["a-it"]], "delegate_user_ids": []},
        ),
        ("GET", "/api/v1/schools/{school_id}/duties/enrolment/acting", None),
        ("GET", "/api/v1/schools/{school_id}/absences", None),
        (
            "POST",
            f"/api/v1/schools/{{school_id}}/users/{b_user}/absences",
            {"starts_on": str(date.today()), "ends_on": until},
        ),
        ("DELETE", f"/api/v1/schools/{{school_id}}/absences/{absence_b}", None),
        ("POST", f"/api/v1/schools/{{school_id}}/users/{b_teacher}/extension", {"until": until}),
        (
            "POST",
            "/api/v1/schools/{school_id}/on-behalf",
            {"staff_user_id": world.users["b-clerk"], "until": until, "teacher_user_id": b_teacher},
        ),
        ("GET", "/api/v1/schools/{school_id}/on-behalf", None),
        ("DELETE", f"/api/v1/schools/{{school_id}}/on-behalf/{on_behalf_b}", None),
        ("POST", "/api/v1/schools/{school_id}/sis-sync", None),
        ("GET", "/api/v1/schools/{school_id}/sis-sync/runs", None),
        ("GET", "/api/v1/schools/{school_id}/sis-sync/runs/run-of-b/report.csv", None),
        ("GET", "/api/v1/schools/{school_id}/sis-sync/nights", None),
        ("GET", "/api/v1/schools/{school_id}/audit", None),
    ]
    templates = {
        (m, p.split("{school_id}")[0] + "{school_id}" + _template(p.split("{school_id}")[1])) for m, p, _ in matrix
    }
    openapi = client.app.openapi()  # type: ignore[attr-defined]
    documented = {
        (method.upper(), path) for path, ops in openapi["paths"].items() if "{school_id}" in path for method in ops
    }
    assert documented == templates, documented ^ templates

    b_secrets = [
        b,
        *[uid for name, uid in world.users.items() if name.startswith("b-")],
        "School B",
        "b-registry",
        absence_b,
        on_behalf_b,
    ]
    attackers = ["a-it", "a-director", "a-student"]
    for attacker in attackers:
        for method, path, body in matrix:
            url = path.replace("{school_id}", b)
            if path.endswith("/sis-sync"):
                r = await client.post(url, files={"file": ("x.csv", csv)}, headers=world.headers[attacker])
            else:
                r = await client.request(method, url, json=body, headers=world.headers[attacker])
            assert r.status_code in (403, 404), (attacker, method, path, r.status_code, r.text)
            problem = {k: v for k, v in r.json().items() if k != "instance"}  # the echoed URL is not data
            leaked = [s for s in b_secrets if s in json.dumps(problem, ensure_ascii=False)]
            assert leaked == [], (attacker, method, path, r.text)

    # School B is untouched.
    r = await client.get(f"/api/v1/schools/{b}", headers=world.headers["b-it"])
    assert r.json()["name"] == "School B"
    r = await client.get(f"/api/v1/schools/{b}/users/{b_user}", headers=world.headers["b-it"])
    assert r.json()["status"] == "active" and r.json()["roles"] == ["registry"]
    assert (await client.get(f"/api/v1/schools/{b}/absences", headers=world.headers["b-it"])).json()[0]["id"] == (
        absence_b
    )

    # Lists only show one's own school.
    r = await client.get("/api/v1/schools", headers=world.headers["a-it"])
    assert [s["id"] for s in r.json()] == [a]


def _template(rest: str) -> str:
    """Replace concrete ids after the school id with their OpenAPI parameter names."""
    names = {
        "users": "{user_id}",
        "absences": "{absence_id}",
        "on-behalf": "{authorisation_id}",
        "duties": "{code}",
        "runs": "{run_id}",
    }
    parts = rest.split("/")
    for index in range(1, len(parts)):
        if parts[index - 1] in names and parts[index] and parts[index] not in ("roles",):
            parts[index] = names[parts[index - 1]]
    return "/".join(parts)
