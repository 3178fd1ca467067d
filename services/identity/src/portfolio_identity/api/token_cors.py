"""Cross-origin access to the OAuth2 token endpoint only, for the "Authorize" button of the other
services' /docs (standalone and development run each service on its own port, so records' Swagger
UI posting to identity's token URL is a cross-origin request with a preflight).

Only ``POST /api/v1/auth/token`` and only from the configured origins (``token_cors_origins``,
comma-separated; empty: no cross-origin access at all). Every other route stays same-origin.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a route, not a secret


class TokenEndpointCORS:
    def __init__(self, app: ASGIApp, origins: str) -> None:
        self.app = app
        allowed = [o.strip().rstrip("/") for o in origins.split(",") if o.strip()]
        self.cors: ASGIApp | None = (
            CORSMiddleware(
                app,
                allow_origins=allowed,
                allow_methods=["POST"],
                allow_headers=["accept", "content-type", "x-requested-with", "accept-language"],
                max_age=600,
            )
            if allowed
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None and scope["type"] == "http" and scope["path"] == TOKEN_PATH:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
