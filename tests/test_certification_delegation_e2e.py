"""Issue 8, as a school sets it up (R-ART-5, R-DUTY-2): identity and artifacts together, over the real
RabbitMQ, with identity's own tokens verified by artifacts against identity's JWKS.

The school names the outcome-certification delegates [A, B] once (``PUT …/duties/outcome_certification/
order``); course teacher T1 leaves, not extended. Before the fix A's certify answered 404 (no
``outcome:certify`` in A's token) and the acting-person endpoint named an unrelated teacher.
Records' facts (windows, courses, enrolment) are fed to artifacts directly: records is not under test.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from portfolio_artifacts.adapters.orm import rc_absences, rc_delegations, rc_extensions, rc_users
from portfolio_artifacts.app import create as create_artifacts
from portfolio_artifacts.bootstrap import bootstrap as bootstrap_artifacts
from portfolio_artifacts.config import Settings as ArtifactsSettings
from portfolio_identity.app import create as create_identity
from portfolio_identity.bootstrap import bootstrap as bootstrap_identity
from portfolio_shared.auth import JWKSVerifier
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology, eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "services/identity/tests"), str(ROOT / "services/artifacts/tests/integration")]

from artifacts_world import World  # noqa: E402
from identity_support import ADMIN_LOGIN, ADMIN_PASSWORD, PASSWORD, bearer, login, settings_for  # noqa: E402

pytestmark = pytest.mark.integration


async def _user(
    idc: httpx.AsyncClient, admin: dict[str, str], school: str, login_name: str, kind: str, roles: list[str]
) -> str:
    body = {"login_name": login_name, "display_name": login_name, "kind": kind, "roles": roles, "password": PASSWORD}
    r = await idc.post(f"/api/v1/schools/{school}/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _token(idc: httpx.AsyncClient, login_name: str) -> dict[str, str]:
    return bearer((await login(idc, login_name))["access_token"])


def _has(world: World, query: Any) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with world.runtime.uow() as uow:
            return (await uow.session.execute(query)).first() is not None

    return check


async def test_delegates_named_once_certify_for_the_teacher_who_left(
    make_database: Callable[[str], Awaitable[str]], rabbitmq_url: str, topology: Topology, s3_url: str
) -> None:
    identity_rt = bootstrap_identity(settings_for(await make_database("e2e_identity"), rabbitmq_url, topology.prefix))
    async with running(identity_rt, create_identity) as idc:
        jwks = (await idc.get("/.well-known/jwks.json")).json()
        verifier = JWKSVerifier(audience="portfolio", issuer="portfolio-identity", jwks=jwks)
        settings = ArtifactsSettings(
            environment="test",
            database_url=await make_database("e2e_artifacts"),
            broker_url=rabbitmq_url,
            topology_prefix=topology.prefix,
            storage_url=s3_url,
            verify_interval_seconds=0,
        )
        artifacts_rt = bootstrap_artifacts(settings, verifier=verifier)
        async with running(artifacts_rt, create_artifacts) as arc:
            admin = bearer((await login(idc, ADMIN_LOGIN, ADMIN_PASSWORD))["access_token"])
            r = await idc.post("/api/v1/districts", json={"code": "TPE", "name": "臺北市政府教育局"}, headers=admin)
            r = await idc.post(
                "/api/v1/schools",
                json={"code": "330301", "name": "School A", "district_id": r.json()["id"]},
                headers=admin,
            )
            school = str(r.json()["id"])
            ids = {
                name: await _user(idc, admin, school, name, kind, roles)
                for name, kind, roles in (
                    ("t1", "teacher", ["course_teacher"]),
                    ("t2", "teacher", ["course_teacher"]),
                    ("lib-a", "staff", ["library_services"]),
                    ("lib-b", "staff", ["library_services"]),
                    ("it", "staff", ["it"]),
                    ("director", "staff", ["guidance_director"]),
                    ("s1", "student", ["student"]),
                )
            }
            t1, t2, a, b, s1 = ids["t1"], ids["t2"], ids["lib-a"], ids["lib-b"], ids["s1"]
            it, director = await _token(idc, "it"), await _token(idc, "director")
            world = World(runtime=artifacts_rt, client=arc, minter=TokenMinter(), school=school)
            await world.open_windows()
            await world.course("phys", [t1], [s1])
            await world.course("chem", [t2], [s1])
            student = await _token(idc, "s1")
            phys = [await world.upload_outcome(student, "phys") for _ in range(3)]
            chem = await world.upload_outcome(student, "chem")

            # The school names the delegates once; no course teacher is listed as responsible.
            r = await idc.put(
                f"/api/v1/schools/{school}/duties/outcome_certification/order",
                json={"responsible_user_ids": [], "delegate_user_ids": [a, b]},
                headers=director,
            )
            assert r.status_code == 200, r.text
            yesterday = date.today() - timedelta(days=1)
            r = await idc.patch(
                f"/api/v1/schools/{school}/users/{t1}", json={"status": "left", "end_date": str(yesterday)}, headers=it
            )
            assert r.status_code == 200, r.text
            await eventually(
                _has(world, select(rc_delegations).where(rc_delegations.c.school_id == school)), timeout=20
            )
            await eventually(
                _has(world, select(rc_users).where(rc_users.c.user_id == t1, rc_users.c.status == "left")), timeout=20
            )

            acting = (await idc.get(f"/api/v1/schools/{school}/duties/outcome_certification/acting", headers=it)).json()
            assert acting["acting"]["user_id"] == a  # not an unrelated teacher

            # A certifies T1's outcome with A's own identity token: recorded as A on behalf of T1.
            token_a = await _token(idc, "lib-a")
            r = await arc.post(f"/api/v1/outcomes/{phys[0]['id']}/certify", headers=token_a)
            assert r.status_code == 200, r.text
            cert = r.json()["certification"]
            assert (cert["certified_by"], cert["on_behalf_of"], cert["basis"]) == (a, t1, "delegate")
            # T2's outcome: only T2.
            assert (await arc.post(f"/api/v1/outcomes/{chem['id']}/certify", headers=token_a)).status_code == 404
            r = await arc.post(f"/api/v1/outcomes/{chem['id']}/certify", headers=await _token(idc, "t2"))
            assert r.status_code == 200 and r.json()["certification"]["basis"] == "teacher"

            # A absent: B certifies.
            today = date.today()
            r = await idc.post(
                f"/api/v1/schools/{school}/users/{a}/absences",
                json={"starts_on": str(today - timedelta(days=1)), "ends_on": str(today + timedelta(days=2))},
                headers=director,
            )
            assert r.status_code == 201, r.text
            await eventually(_has(world, select(rc_absences).where(rc_absences.c.user_id == a)), timeout=20)
            assert (await arc.post(f"/api/v1/outcomes/{phys[1]['id']}/certify", headers=token_a)).status_code == 404
            r = await arc.post(f"/api/v1/outcomes/{phys[1]['id']}/certify", headers=await _token(idc, "lib-b"))
            assert r.status_code == 200, r.text
            assert (r.json()["certification"]["certified_by"], r.json()["certification"]["on_behalf_of"]) == (b, t1)

            # T1 extended: T1 certifies, the delegates are refused.
            until = today + timedelta(days=30)
            r = await idc.post(f"/api/v1/schools/{school}/users/{t1}/extension", json={"until": str(until)}, headers=it)
            assert r.status_code == 200, r.text
            await eventually(_has(world, select(rc_extensions).where(rc_extensions.c.user_id == t1)), timeout=20)
            r = await arc.post(f"/api/v1/outcomes/{phys[2]['id']}/certify", headers=await _token(idc, "lib-b"))
            assert r.status_code == 404
            r = await arc.post(f"/api/v1/outcomes/{phys[2]['id']}/certify", headers=await _token(idc, "t1"))
            assert r.status_code == 200 and r.json()["certification"]["basis"] == "extended_account"
    await delete_topology(rabbitmq_url, topology, ("artifacts.records", "artifacts.identity"))
