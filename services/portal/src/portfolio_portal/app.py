"""The portal app: server-rendered pages (Jinja2), htmx for partial updates, no JavaScript build.

    uvicorn portfolio_portal.app:create --factory

Everything it shows comes from the five services' public HTTP APIs, called with the signed-in
person's token; it has no database of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from portfolio_portal.adapters.services import Services
from portfolio_portal.api import auth, render, staff, student, submission
from portfolio_portal.config import Settings
from portfolio_portal.domain.i18n import human_size, label, school_time
from portfolio_portal.domain.session import SessionSealer
from portfolio_shared.telemetry import setup_logging

HERE = Path(__file__).parent
log = logging.getLogger("portfolio_portal")
access_log = logging.getLogger("portfolio.access")

# Pages are same-origin only: scripts, styles and the htmx file come from the portal itself; the
# upload script may PUT to object storage (another origin) through XHR, hence connect-src.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' {storage}; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.globals["label"] = label
    env.filters["school_time"] = school_time
    env.filters["size"] = human_size
    return templates


def create(settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or Settings()
    setup_logging("portal", json_logs=settings.log_json)
    services = Services(settings, transport=transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await services.close()

    app = FastAPI(title="Learning portfolio portal", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.services = services
    app.state.sealer = SessionSealer(settings.session_secret)
    app.state.templates = _templates()
    app.state.zones = {}
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in (auth.router, student.router, staff.router, submission.router):
        app.include_router(router)
    render.install(app)

    # Upload PUTs go to object storage, on another origin: allow exactly that origin in the CSP.
    storage_origin = _origin(settings.artifacts_url) + " " + settings.storage_origins.replace(",", " ")
    csp = CSP.format(storage=storage_origin.strip())

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        # One access line per request: the route template, never ids or the query string (ASVS V16).
        route = getattr(request.scope.get("route"), "path", "unmatched")
        elapsed = (time.perf_counter() - start) * 1000
        access_log.info("%s %s %d %.1fms", request.method, route, response.status_code, elapsed)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await services.ready()
        ok = checks["identity"]  # without identity nobody can sign in; other pages show their own 503
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "services": checks}, status_code=200 if ok else 503
        )

    return app


def _origin(url: str) -> str:
    parts = httpx.URL(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.host}{port}"
