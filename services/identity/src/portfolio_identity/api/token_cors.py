"""Cross-origin access to the OAuth2 token endpoint only, for the "Authorize" button of the other
services' /docs (standalone and development run each service on its own port, so records' Swagger
UI posting to identity's token URL is a cross-origin request with a preflight).

Only ``POST /api/v1/auth/token`` and only from the configured origins (``token_cors_origins``,
comma-separated; empty: no cross-origin access at all). Every other route stays same-origin.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from portfolio_shared.cors import PathCORS

TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a route, not a secret


class TokenEndpointCORS(PathCORS):
    def __init__(self, app: ASGIApp, origins: str) -> None:
        super().__init__(app, origins, path=TOKEN_PATH, methods=("POST",))
