"""Cross-origin access for one path prefix only (every other route stays same-origin).

Used twice: identity's OAuth2 token endpoint for the other services' /docs, and the local-disk
storage routes (``/storage/``) that the portal's upload script PUTs to with XHR from its own origin
in the standalone shape (an S3/MinIO bucket gets its CORS from the bucket or server configuration).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


def parse_origins(origins: str) -> list[str]:
    """``"http://a:1, http://b:2/"`` → ``["http://a:1", "http://b:2"]``; empty: none."""
    return [o.strip().rstrip("/") for o in origins.split(",") if o.strip()]


class PathCORS:
    """CORS (with preflight) for requests whose path is ``path`` or starts with ``prefix``."""

    def __init__(
        self,
        app: ASGIApp,
        origins: str,
        *,
        path: str | None = None,
        prefix: str | None = None,
        methods: Sequence[str] = ("POST",),
        headers: Sequence[str] = ("accept", "content-type", "x-requested-with", "accept-language"),
        max_age: int = 600,
    ) -> None:
        self.app = app
        self.path = path
        self.prefix = prefix
        allowed = parse_origins(origins)
        self.cors: ASGIApp | None = (
            CORSMiddleware(
                app, allow_origins=allowed, allow_methods=list(methods), allow_headers=list(headers), max_age=max_age
            )
            if allowed
            else None
        )

    def _matches(self, path: str) -> bool:
        return (self.path is not None and path == self.path) or (
            self.prefix is not None and path.startswith(self.prefix)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None and scope["type"] == "http" and self._matches(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
