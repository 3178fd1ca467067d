"""Tokens: claims, JWKS and key rotation, rejected tokens, refresh rotation with reuse detection,
logout, and slowed-down failed sign-ins."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from identity_support import ADMIN_LOGIN, ADMIN_PASSWORD, PASSWORD, bearer, build_world, login, settings_for
from sqlalchemy import select

from portfolio_identity.adapters import keys
from portfolio_identity.adapters.orm import audit_log
from portfolio_identity.app import create
from portfolio_identity.bootstrap import bootstrap
from portfolio_identity.service_layer.common import utcnow
from portfolio_shared.auth import JWKSVerifier
from portfolio_shared.problems import Problem
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.harness import running

pytestmark = pytest.mark.integration


def _verifier(jwks: dict) -> JWKSVerifier:  # type: ignore[type-arg]
    return JWKSVerifier(audience="portfolio", issuer="portfolio-identity", jwks=jwks)


async def test_access_token_has_exactly_the_contract_claims(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    token = (await login(client, "a-teacher"))["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {
        "sub",
        "name",
        "kind",
        "typ",
        "schools",
        "district_perms",
        "iss",
        "aud",
        "iat",
        "exp",
        "jti",
        "sid",
    }
    assert claims["typ"] == "access" and claims["kind"] == "teacher" and claims["aud"] == "portfolio"
    assert claims["exp"] - claims["iat"] <= 900
    assert claims["schools"] == {
        world.school("A"): {"roles": ["course_teacher"], "perms": ["outcome:certify", "schedule:read"]}
    }
    assert claims["district_perms"] == []


async def test_previous_key_verifies_until_its_tokens_expire(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    await build_world(client)
    old = (await login(client, "a-it"))["access_token"]
    admin = bearer((await login(client, ADMIN_LOGIN, ADMIN_PASSWORD))["access_token"])
    r = await client.post("/api/v1/keys/rotate", headers=admin)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["retired"] == [jwt.get_unverified_header(old)["kid"]]
    new = (await login(client, "a-it"))["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == rotated["kid"]

    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert {k["kid"] for k in jwks["keys"]} == {rotated["kid"], rotated["retired"][0]}
    assert all("d" not in k for k in jwks["keys"])  # public halves only
    verifier = _verifier(jwks)
    assert (await verifier.verify(old)).login_name == "a-it"
    assert (await verifier.verify(new)).login_name == "a-it"
    # identity's own API accepts both, too
    assert (await client.get("/api/v1/auth/me", headers=bearer(old))).status_code == 200

    # Once the old key's last token has expired, the key leaves the JWKS.
    async with runtime.uow() as uow:
        later = utcnow() + timedelta(seconds=runtime.settings.access_token_seconds) + timedelta(minutes=2)  # type: ignore[attr-defined]
        later_jwks = await keys.published_jwks(uow.session, later)
    assert {k["kid"] for k in later_jwks["keys"]} == {rotated["kid"]}
    with pytest.raises(Problem) as excinfo:
        await _verifier(later_jwks).verify(old)
    assert excinfo.value.status == 401

    r = await client.post("/api/v1/keys/rotate", headers=bearer((await login(client, "a-it"))["access_token"]))
    assert r.status_code == 403  # a school's IT does not rotate platform keys


def _b64(data: dict) -> str:  # type: ignore[type-arg]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_alg_none_wrong_audience_and_expired_tokens_are_refused(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    await build_world(client)
    good = (await login(client, "a-it"))["access_token"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    claims = jwt.decode(good, options={"verify_signature": False})
    kid = jwt.get_unverified_header(good)["kid"]
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}."
    async with runtime.uow() as uow:
        secret = runtime.settings.key_encryption_secret  # type: ignore[attr-defined]
        signing = await keys.active_key(uow.session, secret, utcnow())
    assert signing is not None
    now = int(time.time())
    wrong_aud = jwt.encode(
        {**claims, "aud": "another-platform"}, signing.private_key, algorithm="EdDSA", headers={"kid": kid}
    )
    expired = jwt.encode(
        {**claims, "iat": now - 1200, "exp": now - 600}, signing.private_key, algorithm="EdDSA", headers={"kid": kid}
    )
    not_access = jwt.encode({**claims, "typ": "refresh"}, signing.private_key, algorithm="EdDSA", headers={"kid": kid})
    verifier = _verifier(jwks)
    assert (await verifier.verify(good)).user_id == claims["sub"]
    for bad in (unsigned, wrong_aud, expired, not_access, good[:-4] + "AAAA"):
        with pytest.raises(Problem) as excinfo:
            await verifier.verify(bad)
        assert excinfo.value.status == 401
        r = await client.get("/api/v1/auth/me", headers=bearer(bad))
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    await build_world(client)
    first = await login(client, "a-registry")
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    # The stolen first token is replayed: refused, and the legitimate second one dies with it.
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401

    other = await login(client, "a-registry")
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": other["refresh_token"]})).status_code == 204
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": "nope.nope"})
    assert r.status_code == 401


async def test_failed_sign_ins_are_slowed_down_and_audited(client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    await build_world(client)
    free = runtime.settings.login_free_failures  # type: ignore[attr-defined]
    for _ in range(free - 1):
        r = await client.post("/api/v1/auth/login", json={"login_name": "a-clerk", "password": "wrong password!"})
        assert r.status_code == 401
    r = await client.post("/api/v1/auth/login", json={"login_name": "a-clerk", "password": "wrong password!"})
    assert r.status_code == 401  # this failure starts the lock
    r = await client.post("/api/v1/auth/login", json={"login_name": "a-clerk", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["code"] == "login-throttled"
    # another login name from the same address is not locked by this one
    assert (
        await client.post("/api/v1/auth/login", json={"login_name": "a-registry", "password": PASSWORD})
    ).status_code == 200
    async with runtime.uow() as uow:
        failed = (
            (await uow.session.execute(select(audit_log.c.object_id).where(audit_log.c.action == "auth.login_failed")))
            .scalars()
            .all()
        )
    assert failed.count("a-clerk") == free
    # unknown login names fail the same way (no account enumeration)
    r = await client.post("/api/v1/auth/login", json={"login_name": "nobody-here", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "invalid-credentials"


async def test_suspended_account_cannot_sign_in_or_refresh(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    tokens = await login(client, "a-student")
    r = await client.patch(
        f"/api/v1/schools/{world.school('A')}/users/{world.users['a-student']}",
        json={"status": "suspended"},
        headers=world.headers["a-it"],
    )
    assert r.status_code == 200
    r = await client.post("/api/v1/auth/login", json={"login_name": "a-student", "password": PASSWORD})
    assert r.status_code == 403
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401


async def test_a_refresh_token_raced_twice_is_used_once(client: httpx.AsyncClient) -> None:
    import asyncio

    await build_world(client)
    tokens = await login(client, "a-director")
    body = {"refresh_token": tokens["refresh_token"]}
    first, second = await asyncio.gather(
        client.post("/api/v1/auth/refresh", json=body), client.post("/api/v1/auth/refresh", json=body)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 401]


async def test_a_rotated_in_key_is_published_before_it_signs(pg_url: str, tmp_path: Path) -> None:
    """Verifiers cache the JWKS: the next key must be in it before the first token it signs."""
    settings = settings_for(pg_url, f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}", key_activation_delay_seconds=600)
    runtime = bootstrap(settings)
    async with running(runtime, create) as client:
        await build_world(client)
        before = (await login(client, "a-it"))["access_token"]
        admin = bearer((await login(client, ADMIN_LOGIN, ADMIN_PASSWORD))["access_token"])
        rotated = (await client.post("/api/v1/keys/rotate", headers=admin)).json()
        jwks = (await client.get("/.well-known/jwks.json")).json()
        assert {k["kid"] for k in jwks["keys"]} == {rotated["kid"], jwt.get_unverified_header(before)["kid"]}
        still_old = (await login(client, "a-it"))["access_token"]
        assert jwt.get_unverified_header(still_old)["kid"] == jwt.get_unverified_header(before)["kid"]
        async with runtime.uow() as uow:
            later = await keys.active_key(
                uow.session, settings.key_encryption_secret, utcnow() + timedelta(seconds=601)
            )
        assert later is not None and later.kid == rotated["kid"]
