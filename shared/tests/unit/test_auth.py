"""Token verification: asymmetric only, audience, expiry, key rotation through the JWKS."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest

from portfolio_shared.auth import JWKSVerifier, Principal
from portfolio_shared.problems import Problem
from portfolio_shared.testing.tokens import TokenMinter


async def test_valid_token_gives_principal_with_school_permissions() -> None:
    minter = TokenMinter()
    token = minter.token("u1", schools={"A": ["outcome:upload"]}, roles={"A": ["student"]}, kind="student")
    principal = await minter.verifier().verify(token)
    assert principal.user_id == "u1"
    assert principal.can("outcome:upload", "A")
    assert not principal.can("outcome:upload", "B")
    assert principal.has_role("student", "A")
    with pytest.raises(Problem) as err:
        principal.require("outcome:certify", "A", rule="R-ART-3")
    assert err.value.status == 403 and err.value.rule == "R-ART-3"


@pytest.mark.parametrize("case", ["alg_none", "wrong_aud", "expired", "hs256", "unknown_kid", "garbage"])
async def test_bad_tokens_are_refused(case: str) -> None:
    minter = TokenMinter()
    verifier = minter.verifier()
    now = int(time.time())
    claims = {"sub": "u1", "iss": minter.issuer, "aud": minter.audience, "iat": now, "exp": now + 60}
    if case == "alg_none":
        token = jwt.encode(claims, key=None, algorithm="none", headers={"kid": minter.kid})  # type: ignore[arg-type]
    elif case == "wrong_aud":
        token = minter.token("u1", aud="somebody-else")
    elif case == "expired":
        token = minter.token("u1", expires_in=-60)
    elif case == "hs256":
        token = jwt.encode(claims, "a-shared-secret-of-32-bytes-long!!", algorithm="HS256", headers={"kid": minter.kid})
    elif case == "unknown_kid":
        token = TokenMinter().token("u1")
    else:
        token = "not.a.token"
    with pytest.raises(Problem) as err:
        await verifier.verify(token)
    assert err.value.status == 401


async def test_principal_district_permissions_apply_everywhere() -> None:
    p = Principal(user_id="admin", district_permissions=frozenset({"schools:manage"}))
    assert p.can("schools:manage", "any-school")


async def test_unknown_kid_refetches_jwks_once(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = TokenMinter(), TokenMinter()
    verifier = JWKSVerifier(audience=old.audience, issuer=old.issuer, jwks_url="http://identity/jwks", min_refresh=0)
    verifier.load(old.jwks())
    calls: list[int] = []

    async def fake_refresh() -> None:
        calls.append(1)
        verifier.load({"keys": old.jwks()["keys"] + new.jwks()["keys"]})

    monkeypatch.setattr(verifier, "_refresh", fake_refresh)
    assert (await verifier.verify(old.token("u1"))).user_id == "u1"
    assert calls == []  # cached: no call per request
    assert (await verifier.verify(new.token("u2"))).user_id == "u2"
    assert calls == [1]


async def test_verified_tokens_are_cached_until_they_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    minter = TokenMinter()
    verifier = JWKSVerifier(audience=minter.audience, issuer=minter.issuer, jwks=minter.jwks(), leeway=0)
    token = minter.token("u1", expires_in=1)
    first = await verifier.verify(token)
    calls: list[int] = []
    original = jwt.decode

    def counting_decode(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    assert await verifier.verify(token) is first
    assert calls == []  # no second signature check
    await asyncio.sleep(1.1)
    with pytest.raises(Problem) as err:
        await verifier.verify(token)  # expired: not served from the cache
    assert err.value.status == 401 and calls == [1]
