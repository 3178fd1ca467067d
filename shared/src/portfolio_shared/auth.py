"""JWT verification against identity's JWKS, and the principal every service authorises with.

Keys are fetched once and cached; an unknown ``kid`` triggers at most one refetch per
``min_refresh`` seconds, so signing-key rotation works with no call to identity per request.
Only asymmetric algorithms are accepted (``alg: none`` and HS256 are refused).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt import PyJWK

from .problems import Problem
from .revocation import RevocationStore

ALGORITHMS = ["EdDSA", "RS256"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, and their roles and permissions per school."""

    user_id: str
    login_name: str = ""
    kind: str = ""
    roles: dict[str, frozenset[str]] = field(default_factory=dict)  # school_id -> roles
    permissions: dict[str, frozenset[str]] = field(default_factory=dict)  # school_id -> permissions
    district_permissions: frozenset[str] = frozenset()
    token_id: str = ""
    issued_at: float = 0.0
    session_id: str = ""  # the sign-in (refresh-token family) the token belongs to

    @property
    def school_ids(self) -> frozenset[str]:
        return frozenset(self.roles) | frozenset(self.permissions)

    def has_role(self, role: str, school_id: str) -> bool:
        return role in self.roles.get(school_id, frozenset())

    def can(self, permission: str, school_id: str | None = None) -> bool:
        if permission in self.district_permissions:
            return True
        if school_id is None:
            return any(permission in perms for perms in self.permissions.values())
        return permission in self.permissions.get(school_id, frozenset())

    def require(self, permission: str, school_id: str | None = None, *, rule: str | None = None) -> None:
        if not self.can(permission, school_id):
            raise Problem(
                403,
                "forbidden",
                "Forbidden",
                "沒有權限",
                f"this action needs the permission '{permission}'" + (f" at school {school_id}" if school_id else ""),
                rule=rule,
            )

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        schools = claims.get("schools") or {}
        return cls(
            user_id=str(claims["sub"]),
            login_name=str(claims.get("name", "")),
            kind=str(claims.get("kind", "")),
            roles={sid: frozenset(v.get("roles", ())) for sid, v in schools.items()},
            permissions={sid: frozenset(v.get("perms", ())) for sid, v in schools.items()},
            district_permissions=frozenset(claims.get("district_perms", ())),
            token_id=str(claims.get("jti", "")),
            issued_at=float(claims.get("iat", 0)),
            session_id=str(claims.get("sid", "")),
        )


def unauthenticated(detail: str) -> Problem:
    return Problem(
        401,
        "unauthenticated",
        "Not authenticated",
        "尚未登入或憑證無效",
        detail,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class JWKSVerifier:
    def __init__(
        self,
        *,
        audience: str,
        issuer: str,
        jwks_url: str | None = None,
        jwks: dict[str, Any] | None = None,
        min_refresh: float = 30.0,
        leeway: float = 5.0,
        cache_size: int = 10_000,
        max_token_seconds: float = 900.0,
        revocations: RevocationStore | None = None,
    ) -> None:
        self.audience, self.issuer = audience, issuer
        self.jwks_url = jwks_url
        self.min_refresh, self.leeway = min_refresh, leeway
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.cache_size = cache_size
        self._cache: dict[str, tuple[Principal, float]] = {}
        # The issuer's maximum lifetime: a validly signed token that claims to live longer was not
        # minted by the issuer's rules (a stolen signing key, a bug) and is refused (ASVS V7).
        self.max_token_seconds = max_token_seconds
        self.revocations = revocations if revocations is not None else RevocationStore()
        if jwks is not None:
            self.load(jwks)

    def load(self, jwks: dict[str, Any]) -> None:
        keys: dict[str, PyJWK] = {}
        for jwk in jwks.get("keys", []):
            if "kid" in jwk:
                keys[jwk["kid"]] = PyJWK.from_dict(jwk)
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def _refresh(self) -> None:
        if self.jwks_url is None:
            return
        async with self._lock:
            if time.monotonic() - self._fetched_at < self.min_refresh and self._keys:
                return
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
                self.load(response.json())

    async def key_for(self, kid: str) -> PyJWK | None:
        if kid not in self._keys:
            try:
                await self._refresh()
            except (httpx.HTTPError, json.JSONDecodeError):
                return None
        return self._keys.get(kid)

    async def verify(self, token: str) -> Principal:
        """Verify a token; a token verified before is answered from a small cache until it expires
        (a signature check per request is most of the auth cost on a busy endpoint)."""
        cached = self._cache.get(token)
        if cached is not None and time.time() >= cached[1]:
            del self._cache[token]
            cached = None
        if cached is None:
            cached = await self._verify(token)
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))  # oldest first
            self._cache[token] = cached
        principal = cached[0]
        # Checked on every request, cached or not: a revocation must take effect at once.
        if self.revocations.is_revoked(principal.user_id, principal.session_id, principal.issued_at):
            raise unauthenticated("the token was revoked (signed out, suspended or roles changed); sign in again")
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthenticated("the token is malformed") from exc
        if header.get("alg") not in ALGORITHMS:
            raise unauthenticated("the token's algorithm is not accepted")
        key = await self.key_for(str(header.get("kid", "")))
        if key is None:
            raise unauthenticated("the token was signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthenticated("the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"the token is not valid: {exc}") from exc
        if claims.get("typ") not in (None, "access"):
            raise unauthenticated("not an access token")
        exp, iat = float(claims["exp"]), float(claims["iat"])
        if exp - iat > self.max_token_seconds + self.leeway or exp - time.time() > self.max_token_seconds + self.leeway:
            raise unauthenticated("the token lives longer than the issuer allows")
        return Principal.from_claims(claims), exp


_bearer = HTTPBearer(auto_error=False, description="Access token issued by the identity service")


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthenticated("a bearer token is required")
    verifier: JWKSVerifier = request.app.state.verifier
    return await verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
