"""ASGI entry point of the identity service: `uvicorn portfolio_identity.app:create --factory`."""

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .bootstrap import bootstrap
from .config import Settings


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    return create_app(
        runtime,
        title="Identity service: districts, schools, accounts, roles, duties and delegates, tokens (身分與權限)",
        description=__doc__ or "",
        routers=[],
    )
