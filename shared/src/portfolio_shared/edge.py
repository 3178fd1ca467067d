"""The HTTP edge every service shares: body limits, trusted proxies, documented problem answers.

Installed by `service.create_app` after the routers; see docs/ARCHITECTURE.md ("HTTP edge").
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .config import ServiceSettings
from .limits import UNLIMITED, RequestLimits
from .openapi import document_problems


def install_edge(app: FastAPI, settings: ServiceSettings, storage: Any | None) -> None:
    """Add after every other middleware: these must run first on a request."""
    document_problems(app, token_url=settings.oauth2_token_url)
    # Route template → maximum body bytes; a service adds its import routes after create_app.
    app.state.body_limits = {}
    if storage is not None and hasattr(storage, "router"):
        prefix = getattr(storage, "route_prefix", "/storage")
        app.state.body_limits[f"{prefix}/{{token}}"] = UNLIMITED  # the local-disk PUT bounds itself
    app.add_middleware(
        RequestLimits,
        default_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        limits=app.state.body_limits,
    )
    if settings.trusted_proxies.strip():
        # Outermost: everything inside (throttles, audit, logs) sees the real client address.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
