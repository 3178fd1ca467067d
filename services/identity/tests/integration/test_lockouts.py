"""Sign-in throttles that cannot be turned against everyone (ASVS V6), and the real client address.

- One address guessing one account is locked (429 + Retry-After), and only that address.
- An address spraying many accounts, and an account guessed from anywhere, are slowed down, never
  locked: the right password still signs in (a school behind one NAT address).
- X-Forwarded-For counts only from a configured trusted proxy; from anyone else it is ignored, so
  a client can neither escape its lock nor pick the address in the audit trail.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from identity_support import ADMIN_LOGIN, ADMIN_PASSWORD, PASSWORD, build_world, settings_for
from sqlalchemy import select

from portfolio_identity.adapters.orm import audit_log
from portfolio_identity.app import create
from portfolio_identity.bootstrap import bootstrap
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.harness import running

pytestmark = pytest.mark.integration

PROXY = "10.1.2.3"
NAT = "198.51.100.7"
ELSEWHERE = "203.0.113.5"


def _from(client: httpx.AsyncClient, peer: str) -> httpx.AsyncClient:
    """A client whose TCP peer address is `peer`, on the same app."""
    transport = httpx.ASGITransport(app=client.app, client=(peer, 40000))  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@asynccontextmanager
async def _identity(pg_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    runtime = bootstrap(settings_for(pg_url, f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}", **overrides))
    async with running(runtime, create) as client:
        yield client, runtime


async def _sign_in(client: httpx.AsyncClient, login: str, password: str, **headers: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"login_name": login, "password": password}, headers=headers)


async def _audited_ips(runtime: ServiceRuntime, action: str) -> list[str | None]:
    async with runtime.uow() as uow:
        stmt = select(audit_log.c.client_ip).where(audit_log.c.action == action).order_by(audit_log.c.id)
        return list((await uow.session.execute(stmt)).scalars())


def _slowed(caplog: pytest.LogCaptureFixture, peer: str) -> bool:
    return any("slowed down" in r.getMessage() and f" from {peer} " in r.getMessage() for r in caplog.records)


async def test_an_address_spraying_accounts_is_slowed_but_never_locks_out_a_right_password(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with _identity(pg_url, tmp_path, ip_free_failures=3, slowdown_base_seconds=0.4) as (client, _):
        async with _from(client, NAT) as school_nat, _from(client, ELSEWHERE) as elsewhere:
            for name in ("spray-1", "spray-2", "spray-3"):
                assert (await _sign_in(school_nat, name, "guess-guess")).status_code == 401
            started = time.monotonic()
            r = await _sign_in(school_nat, ADMIN_LOGIN, ADMIN_PASSWORD)
            assert r.status_code == 200, r.text  # behind the same address, the right password works
            assert time.monotonic() - started >= 0.4  # … after the slowdown
            r = await _sign_in(school_nat, "spray-4", "guess-guess")
            assert r.status_code == 401  # slowed, not refused: no 429 for the whole address
            assert _slowed(caplog, NAT)
            assert (await _sign_in(elsewhere, ADMIN_LOGIN, ADMIN_PASSWORD)).status_code == 200
            assert not _slowed(caplog, ELSEWHERE)  # another address is not slowed


async def test_an_account_guessed_from_many_addresses_is_slowed_not_locked(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with _identity(
        pg_url, tmp_path, account_free_failures=2, login_free_failures=5, slowdown_base_seconds=0.4
    ) as (client, _):
        for i in range(2):
            async with _from(client, f"192.0.2.{i + 10}") as attacker:
                assert (await _sign_in(attacker, ADMIN_LOGIN, "wrong password!")).status_code == 401
        async with _from(client, ELSEWHERE) as owner:
            started = time.monotonic()
            assert (await _sign_in(owner, ADMIN_LOGIN, ADMIN_PASSWORD)).status_code == 200
            assert time.monotonic() - started >= 0.4
        assert _slowed(caplog, ELSEWHERE)


async def test_the_address_hammering_one_account_is_locked_and_only_that_address(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    await build_world(client)
    free = runtime.settings.login_free_failures  # type: ignore[attr-defined]
    async with _from(client, ELSEWHERE) as attacker, _from(client, NAT) as owner:
        for _ in range(free):
            assert (await _sign_in(attacker, "a-clerk", "wrong password!")).status_code == 401
        r = await _sign_in(attacker, "a-clerk", PASSWORD)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.headers["content-type"].startswith("application/problem+json")
        # An untrusted peer cannot leave its lock by claiming another address.
        r = await _sign_in(attacker, "a-clerk", PASSWORD, **{"X-Forwarded-For": NAT})
        assert r.status_code == 429
        # The account's owner elsewhere is not locked out by the attacker.
        assert (await _sign_in(owner, "a-clerk", PASSWORD)).status_code == 200


async def test_forwarded_for_from_an_untrusted_peer_is_ignored_in_the_audit(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    async with _from(client, ELSEWHERE) as spoofer:
        r = await _sign_in(spoofer, ADMIN_LOGIN, "wrong password!", **{"X-Forwarded-For": "1.2.3.4"})
        assert r.status_code == 401
    assert await _audited_ips(runtime, "auth.login_failed") == [ELSEWHERE]


async def test_a_trusted_proxy_is_believed_for_throttles_and_the_audit(pg_url: str, tmp_path: Path) -> None:
    async with _identity(pg_url, tmp_path, trusted_proxies="10.1.0.0/16", login_free_failures=2) as (client, rt):
        async with _from(client, PROXY) as ingress, _from(client, ELSEWHERE) as direct:
            # Two clients behind the proxy: the one that hammers is locked, the other signs in.
            for _ in range(2):
                r = await _sign_in(ingress, ADMIN_LOGIN, "wrong password!", **{"X-Forwarded-For": ELSEWHERE})
                assert r.status_code == 401
            r = await _sign_in(ingress, ADMIN_LOGIN, ADMIN_PASSWORD, **{"X-Forwarded-For": ELSEWHERE})
            assert r.status_code == 429
            r = await _sign_in(ingress, ADMIN_LOGIN, ADMIN_PASSWORD, **{"X-Forwarded-For": NAT})
            assert r.status_code == 200
            # The client's own spoofed entry left of the proxy's is not believed: right-most untrusted wins.
            r = await _sign_in(ingress, "nobody", "wrong password!", **{"X-Forwarded-For": f"6.6.6.6, {NAT}"})
            assert r.status_code == 401
            # A direct peer that is not the proxy: its header is ignored.
            r = await _sign_in(direct, "nobody", "wrong password!", **{"X-Forwarded-For": NAT})
            assert r.status_code == 401
        assert await _audited_ips(rt, "auth.login_failed") == [ELSEWHERE, ELSEWHERE, NAT, ELSEWHERE]
        assert await _audited_ips(rt, "auth.login") == [NAT]
