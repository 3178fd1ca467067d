"""The signed-in person's session, sealed into their own cookie, and the CSRF tokens bound to it.

The tokens identity issued (access + refresh) are never readable by page scripts: they are sealed
with AES-256-GCM under a key derived from the portal's secret and set in an HttpOnly, Secure,
SameSite=Lax cookie. The sealed text is cut into chunks so a token carrying many schools' permissions
still fits browsers' 4 KB per-cookie limit.

CSRF (ASVS V3.5): every form and every htmx request carries a token that is an HMAC of the session's
random id (or, before sign-in, of a random pre-session id). A forged cross-site form cannot read it,
and a cookie planted from a sibling host cannot produce it without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 3800  # characters per cookie, under browsers' 4096-byte limit with the name and attributes
MAX_CHUNKS = 4


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"portfolio-portal:{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, NOT verified: the portal only reads who and until when for display and
    refresh timing; every service verifies the token itself on each call."""
    try:
        return dict(json.loads(_unb64(token.split(".")[1])))
    except (IndexError, ValueError):
        return {}


@dataclass
class Session:
    access_token: str
    refresh_token: str
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    started_at: float = field(default_factory=time.time)
    school_id: str | None = None  # the school the person is working at now (one of the token's)

    @property
    def claims(self) -> dict[str, Any]:
        return token_claims(self.access_token)

    @property
    def user_id(self) -> str:
        return str(self.claims.get("sub", ""))

    @property
    def login_name(self) -> str:
        claims = self.claims
        return str(claims.get("name") or claims.get("sub", ""))

    @property
    def kind(self) -> str:
        return str(self.claims.get("kind", ""))

    def schools(self) -> dict[str, dict[str, list[str]]]:
        raw = self.claims.get("schools") or {}
        return {str(k): {"roles": list(v.get("roles", [])), "perms": list(v.get("perms", []))} for k, v in raw.items()}

    @property
    def current_school(self) -> str | None:
        schools = self.schools()
        if self.school_id in schools:
            return self.school_id
        return next(iter(schools), None)

    def roles(self) -> set[str]:
        school = self.current_school
        return set(self.schools().get(school, {}).get("roles", [])) if school else set()

    def can(self, permission: str) -> bool:
        school = self.current_school
        return bool(school) and permission in self.schools().get(school or "", {}).get("perms", [])

    def expires_in(self, now: float | None = None) -> float:
        exp = self.claims.get("exp")
        return float(exp) - (now or time.time()) if isinstance(exp, int | float) else 0.0


class SessionSealer:
    """Seal/open sessions and make/check CSRF tokens with keys derived from one secret."""

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(_key(secret, "session-cookie"))
        self._csrf = _key(secret, "csrf")

    def seal(self, session: Session) -> list[str]:
        nonce = os.urandom(12)
        plain = json.dumps(asdict(session), separators=(",", ":")).encode()
        sealed = _b64(nonce + self._aead.encrypt(nonce, plain, b"portal-session-v1"))
        chunks = [sealed[i : i + CHUNK] for i in range(0, len(sealed), CHUNK)]
        if len(chunks) > MAX_CHUNKS:
            raise ValueError("the session is too large for its cookies")
        return chunks

    def open(self, chunks: list[str], *, max_age: float, now: float | None = None) -> Session | None:
        """The session, or None when absent, tampered with, sealed under another key or too old."""
        if not chunks:
            return None
        try:
            raw = _unb64("".join(chunks))
            plain = self._aead.decrypt(raw[:12], raw[12:], b"portal-session-v1")
            data = json.loads(plain)
            session = Session(**data)
        except (InvalidTag, ValueError, TypeError):
            return None
        if (now or time.time()) - session.started_at > max_age:
            return None
        return session

    def csrf_token(self, binding: str) -> str:
        return _b64(hmac.new(self._csrf, binding.encode(), hashlib.sha256).digest())

    def csrf_ok(self, binding: str, presented: str | None) -> bool:
        return bool(binding) and bool(presented) and hmac.compare_digest(self.csrf_token(binding), presented or "")
