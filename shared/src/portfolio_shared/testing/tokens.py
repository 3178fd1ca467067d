"""Mint access tokens in tests exactly as identity does (EdDSA, ``kid``, ``aud``, ``exp``), so a
service's tests authenticate without running identity.

The claim layout is the token contract (see :mod:`portfolio_shared.auth`)::

    {"sub": user_id, "name": login, "kind": "student|teacher|staff|admin", "typ": "access",
     "schools": {school_id: {"roles": [...], "perms": [...]}}, "district_perms": [...],
     "iss": ..., "aud": ..., "iat": ..., "exp": ..., "jti": ...}
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from ..auth import JWKSVerifier


class TokenMinter:
    def __init__(self, *, issuer: str = "portfolio-identity", audience: str = "portfolio") -> None:
        self.issuer, self.audience = issuer, audience
        self.key = Ed25519PrivateKey.generate()
        self.kid = f"test-{uuid.uuid4().hex[:8]}"

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "alg": "EdDSA", "use": "sig"})
        return {"keys": [jwk]}

    def verifier(self) -> JWKSVerifier:
        return JWKSVerifier(audience=self.audience, issuer=self.issuer, jwks=self.jwks())

    def token(
        self,
        user_id: str,
        *,
        schools: Mapping[str, Iterable[str]] | None = None,
        roles: Mapping[str, Iterable[str]] | None = None,
        district_perms: Iterable[str] = (),
        kind: str = "staff",
        login_name: str | None = None,
        expires_in: int = 600,
        **extra: Any,
    ) -> str:
        """``schools`` maps school id → permissions; ``roles`` school id → roles."""
        now = int(time.time())
        school_ids = set(schools or {}) | set(roles or {})
        claims: dict[str, Any] = {
            "sub": user_id,
            "name": login_name or user_id,
            "kind": kind,
            "typ": "access",
            "schools": {
                sid: {"roles": sorted((roles or {}).get(sid, ())), "perms": sorted((schools or {}).get(sid, ()))}
                for sid in school_ids
            },
            "district_perms": sorted(district_perms),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
            **extra,
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, user_id: str, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, **kw)}"}
