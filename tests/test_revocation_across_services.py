"""Revocation that works (ASVS V7), across services on the real broker: a suspended IT user's
access token is refused by identity, records and artifacts within seconds, and cannot create an
administrator; a sign-out-everywhere does the same; a fresh sign-in afterwards works."""

from __future__ import annotations

import base64
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from portfolio_shared.auth import JWKSVerifier
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.testing.fixtures import delete_topology, eventually
from portfolio_shared.testing.harness import running

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "identity" / "tests"))

from identity_support import PASSWORD, bearer, build_world, login, settings_for

pytestmark = pytest.mark.integration

WITHIN_SECONDS = 10.0


@dataclass
class Platform:
    identity: httpx.AsyncClient
    records: httpx.AsyncClient
    artifacts: httpx.AsyncClient


@pytest_asyncio.fixture
async def platform(
    make_database: Any, rabbitmq_url: str, topology: Topology, s3_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Platform]:
    from portfolio_artifacts import app as artifacts_app
    from portfolio_artifacts.bootstrap import bootstrap as artifacts_bootstrap
    from portfolio_artifacts.config import Settings as ArtifactsSettings
    from portfolio_identity import app as identity_app
    from portfolio_identity.bootstrap import bootstrap as identity_bootstrap
    from portfolio_records import app as records_app
    from portfolio_records.bootstrap import bootstrap as records_bootstrap
    from portfolio_records.config import Settings as RecordsSettings
    from portfolio_records.domain.crypto import generate_key

    tag = "".join(ch for ch in request.node.name if ch.isalnum())[:30]
    common = {"environment": "test", "broker_url": rabbitmq_url, "topology_prefix": topology.prefix, "log_json": False}
    identity_rt = identity_bootstrap(settings_for(await make_database(f"rv_id_{tag}"), rabbitmq_url, topology.prefix))
    async with running(identity_rt, identity_app.create) as identity:
        jwks = (await identity.get("/.well-known/jwks.json")).json()

        def verifier() -> JWKSVerifier:  # what the other services build from identity's JWKS URL
            return JWKSVerifier(audience="portfolio", issuer="portfolio-identity", jwks=jwks)

        records_rt = records_bootstrap(
            RecordsSettings(
                database_url=await make_database(f"rv_rc_{tag}"),
                field_keys=f"k1:{base64.b64encode(generate_key()).decode()}",
                field_current_kid="k1",
                blind_index_key=base64.b64encode(generate_key()).decode(),
                **common,
            ),
            verifier=verifier(),
        )
        artifacts_rt = artifacts_bootstrap(
            ArtifactsSettings(
                database_url=await make_database(f"rv_ar_{tag}"),
                storage_url=s3_url,
                verify_interval_seconds=0,
                **common,
            ),
            verifier=verifier(),
        )
        async with (
            running(records_rt, records_app.create) as records,
            running(artifacts_rt, artifacts_app.create) as artifacts,
        ):
            yield Platform(identity, records, artifacts)
    await delete_topology(rabbitmq_url, topology, ("records.identity", "artifacts.records", "artifacts.identity"))


async def _accepted(platform: Platform, headers: dict[str, str], school_id: str) -> dict[str, int]:
    """Status of one authenticated read at each service (401 means the token was refused)."""
    return {
        "identity": (await platform.identity.get("/api/v1/auth/me", headers=headers)).status_code,
        "records": (await platform.records.get(f"/api/v1/schools/{school_id}/students", headers=headers)).status_code,
        "artifacts": (await platform.artifacts.get("/api/v1/outcomes", headers=headers)).status_code,
    }


async def _refused_everywhere_within(platform: Platform, headers: dict[str, str], school_id: str) -> float:
    start = time.monotonic()

    async def refused() -> bool:
        return set((await _accepted(platform, headers, school_id)).values()) == {401}

    await eventually(refused, timeout=WITHIN_SECONDS, interval=0.1)
    return time.monotonic() - start


async def test_suspended_it_users_token_is_refused_by_every_service_within_seconds(platform: Platform) -> None:
    world = await build_world(platform.identity)
    school = world.school("A")
    it = world.headers["a-it"]
    assert 401 not in (await _accepted(platform, it, school)).values()

    r = await platform.identity.patch(
        f"/api/v1/schools/{school}/users/{world.users['a-it']}", json={"status": "suspended"}, headers=world.admin
    )
    assert r.status_code == 200, r.text
    took = await _refused_everywhere_within(platform, it, school)
    assert took < WITHIN_SECONDS

    # The suspended IT user cannot create an administrator with the token it still holds.
    body = {"login_name": "a-new-admin", "display_name": "x", "kind": "staff", "roles": ["it"], "password": PASSWORD}
    r = await platform.identity.post(f"/api/v1/schools/{school}/users", json=body, headers=it)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    # Nor sign in again.
    r = await platform.identity.post("/api/v1/auth/login", json={"login_name": "a-it", "password": PASSWORD})
    assert r.status_code == 403
    # Others at the same school are untouched.
    assert 401 not in (await _accepted(platform, world.headers["a-registry"], school)).values()


async def test_roles_removed_and_logout_all_refuse_old_tokens_but_not_a_new_sign_in(platform: Platform) -> None:
    world = await build_world(platform.identity)
    school = world.school("A")
    registry = world.headers["a-registry"]
    r = await platform.identity.put(
        f"/api/v1/schools/{school}/users/{world.users['a-registry']}/roles",
        json={"roles": ["registry_clerk"]},
        headers=world.admin,
    )
    assert r.status_code == 200, r.text
    await _refused_everywhere_within(platform, registry, school)
    renewed = bearer((await login(platform.identity, "a-registry"))["access_token"])
    me = (await platform.identity.get("/api/v1/auth/me", headers=renewed)).json()
    assert me["schools"][school]["roles"] == ["registry_clerk"]

    clerk = world.headers["a-clerk"]
    r = await platform.identity.post("/api/v1/auth/logout-all", headers=clerk)
    assert r.status_code == 204
    await _refused_everywhere_within(platform, clerk, school)
    again = bearer((await login(platform.identity, "a-clerk"))["access_token"])  # same second is fine
    assert 401 not in (await _accepted(platform, again, school)).values()


async def test_a_restarted_service_still_refuses_what_was_revoked(
    make_database: Any, rabbitmq_url: str, topology: Topology
) -> None:
    """The revocation lives in records' own table: a new process (new verifier, empty memory)
    refuses the revoked token from its first request, before any event arrives."""
    from portfolio_identity import app as identity_app
    from portfolio_identity.bootstrap import bootstrap as identity_bootstrap
    from portfolio_records import app as records_app
    from portfolio_records.bootstrap import bootstrap as records_bootstrap
    from portfolio_records.config import Settings as RecordsSettings
    from portfolio_records.domain.crypto import generate_key

    records_url = await make_database("rv_rc_restart")
    records_settings = RecordsSettings(
        environment="test",
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        log_json=False,
        database_url=records_url,
        field_keys=f"k1:{base64.b64encode(generate_key()).decode()}",
        field_current_kid="k1",
        blind_index_key=base64.b64encode(generate_key()).decode(),
    )
    identity_rt = identity_bootstrap(settings_for(await make_database("rv_id_restart"), rabbitmq_url, topology.prefix))
    async with running(identity_rt, identity_app.create) as identity:
        jwks = (await identity.get("/.well-known/jwks.json")).json()

        def verifier() -> JWKSVerifier:
            return JWKSVerifier(audience="portfolio", issuer="portfolio-identity", jwks=jwks)

        world = await build_world(identity)
        school, it = world.school("A"), world.headers["a-it"]
        students = f"/api/v1/schools/{school}/students"
        async with running(records_bootstrap(records_settings, verifier=verifier()), records_app.create) as records:
            assert (await records.get(students, headers=it)).status_code == 200
            r = await identity.patch(
                f"/api/v1/schools/{school}/users/{world.users['a-it']}",
                json={"status": "suspended"},
                headers=world.admin,
            )
            assert r.status_code == 200, r.text

            async def refused() -> bool:
                return (await records.get(students, headers=it)).status_code == 401

            await eventually(refused, timeout=WITHIN_SECONDS, interval=0.1)
        restarted = records_bootstrap(records_settings.model_copy(update={"run_consumers": False}), verifier=verifier())
        async with running(restarted, records_app.create) as records_again:
            assert (await records_again.get(students, headers=it)).status_code == 401
            assert (await records_again.get(students, headers=world.headers["a-registry"])).status_code == 200
    await delete_topology(rabbitmq_url, topology, ("records.identity",))
