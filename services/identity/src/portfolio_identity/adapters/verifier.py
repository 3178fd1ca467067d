"""Identity verifies its own tokens from its own key table (no HTTP call to itself)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portfolio_shared.auth import JWKSVerifier

from .keys import published_jwks


class DatabaseKeyVerifier(JWKSVerifier):
    """A `JWKSVerifier` whose key set comes from the signing-key table instead of a JWKS URL."""

    def __init__(
        self, *, audience: str, issuer: str, min_refresh: float = 1.0, max_token_seconds: float = 900.0
    ) -> None:
        super().__init__(audience=audience, issuer=issuer, min_refresh=min_refresh, max_token_seconds=max_token_seconds)
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None

    def bind(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def reload(self) -> None:
        if self._sessionmaker is None:
            return
        async with self._sessionmaker() as session:
            self.load(await published_jwks(session, datetime.now(UTC)))

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self.min_refresh and self._keys:
                return
            await self.reload()
