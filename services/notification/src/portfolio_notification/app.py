"""ASGI entry point of the notification service: `uvicorn portfolio_notification.app:create --factory`."""

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .bootstrap import bootstrap
from .config import Settings


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    return create_app(
        runtime,
        title="Notification service: inbox, e-mail and postal letters (通知)",
        description=__doc__ or "",
        routers=[],
    )
