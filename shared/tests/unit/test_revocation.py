"""Token revocation in the verifier (ASVS V7): tokens issued before a user's or a sign-in's
revocation are refused, cached or not; tokens that claim to live longer than the issuer allows are
refused; revocations survive a restart through the service's table and are pruned once harmless."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from portfolio_shared.db import make_sessionmaker
from portfolio_shared.events.identity import TokensRevoked
from portfolio_shared.messaging import service_metadata
from portfolio_shared.problems import Problem
from portfolio_shared.revocation import TABLE_NAME, RevocationStore, RevocationSync, record_revocation
from portfolio_shared.testing.tokens import TokenMinter


def test_store_refuses_only_tokens_issued_before_the_revocation() -> None:
    store = RevocationStore()
    store.revoke("user:u1", 1000.5)
    assert store.is_revoked("u1", "", 1000.4)
    assert not store.is_revoked("u1", "", 1000.5)  # issued at the revocation instant: a new sign-in
    assert not store.is_revoked("u2", "", 10.0)
    store.revoke("user:u1", 900.0)  # an older revocation arriving late never loosens the newer one
    assert store.is_revoked("u1", "", 1000.4)


def test_store_family_revocation_refuses_that_sign_in_only() -> None:
    store = RevocationStore()
    store.revoke("family:f1", 1000.0)
    assert store.is_revoked("u1", "f1", 999.0)
    assert not store.is_revoked("u1", "f2", 999.0)
    assert not store.is_revoked("u1", "", 999.0)


async def test_verifier_refuses_a_cached_token_once_its_user_is_revoked() -> None:
    minter = TokenMinter()
    verifier = minter.verifier()
    now = time.time()
    old = minter.token("u1", iat=now - 5, sid="fam-1")
    assert (await verifier.verify(old)).user_id == "u1"  # now cached
    verifier.revocations.revoke("user:u1", now - 1)
    with pytest.raises(Problem) as err:
        await verifier.verify(old)
    assert err.value.status == 401 and "revoked" in (err.value.detail or "")
    fresh = minter.token("u1", iat=now, sid="fam-2")
    assert (await verifier.verify(fresh)).session_id == "fam-2"


async def test_verifier_refuses_the_tokens_of_a_revoked_sign_in() -> None:
    minter = TokenMinter()
    verifier = minter.verifier()
    now = time.time()
    verifier.revocations.revoke("family:fam-1", now)
    with pytest.raises(Problem):
        await verifier.verify(minter.token("u1", iat=now - 1, sid="fam-1"))
    assert (await verifier.verify(minter.token("u1", iat=now - 1, sid="fam-2"))).user_id == "u1"


@pytest.mark.parametrize(
    ("lifetime", "accepted"),
    [(900 + 5, True), (900 + 6, False), (7 * 24 * 3600, False)],  # cap 900 s plus the 5 s leeway
)
async def test_verifier_caps_the_lifetime_it_accepts(lifetime: int, accepted: bool) -> None:
    minter = TokenMinter()
    verifier = minter.verifier()
    token = minter.token("u1", expires_in=lifetime)
    if accepted:
        assert (await verifier.verify(token)).user_id == "u1"
    else:
        with pytest.raises(Problem) as err:
            await verifier.verify(token)
        assert err.value.status == 401 and "longer than the issuer allows" in (err.value.detail or "")


async def test_verifier_caps_exp_from_now_even_when_iat_is_backdated() -> None:
    """exp − iat within the cap, but iat set ahead (inside the clock leeway) so exp − now is not."""
    minter = TokenMinter()
    verifier = minter.verifier()
    now = int(time.time())
    with pytest.raises(Problem) as err:
        await verifier.verify(minter.token("u1", iat=now + 4, exp=now + 4 + 905))
    assert "longer than the issuer allows" in (err.value.detail or "")


async def test_revocations_survive_a_restart_and_are_pruned_when_harmless(tmp_path: Path) -> None:
    metadata, _, _ = service_metadata()
    table = metadata.tables[TABLE_NAME]
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessionmaker = make_sessionmaker(engine)
    now = datetime.now(UTC)
    async with sessionmaker() as session:
        recent = TokensRevoked(user_id="u1", not_before=now - timedelta(seconds=10), reason="suspended")
        await record_revocation(session, table, recent, now)
        older = TokensRevoked(user_id="u1", not_before=now - timedelta(seconds=60), reason="roles_removed")
        await record_revocation(session, table, older, now)  # a late, older event keeps the later time
        gone = TokensRevoked(user_id="u9", family_id="f9", not_before=now - timedelta(hours=2), reason="logout")
        await record_revocation(session, table, gone, now)
        await session.commit()

    store = RevocationStore()  # a restarted replica
    sync = RevocationSync(sessionmaker, table, store, max_token_seconds=900)
    assert await sync.load(full=True) == 1
    assert store.is_revoked("u1", "", (now - timedelta(seconds=11)).timestamp())
    assert not store.is_revoked("u1", "", (now - timedelta(seconds=9)).timestamp())
    async with sessionmaker() as session:
        subjects = (await session.execute(select(table.c.subject, table.c.reason))).all()
    assert subjects == [("user:u1", "suspended")]  # the two-hour-old family entry was pruned

    # Another replica records a revocation; the incremental poll picks it up.
    async with sessionmaker() as session:
        event = TokensRevoked(user_id="u2", not_before=datetime.now(UTC), reason="logout_all")
        await record_revocation(session, table, event, datetime.now(UTC))
        await session.commit()
    assert await sync.load(full=False) >= 1
    assert store.is_revoked("u2", "", now.timestamp())
    await engine.dispose()
