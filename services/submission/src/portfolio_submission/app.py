"""ASGI entry point of the submission service: `uvicorn portfolio_submission.app:create --factory`."""

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .bootstrap import bootstrap
from .config import Settings


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    return create_app(
        runtime,
        title="Submission service: batches to the central database, receipts, confirmation (提交與收訖確認)",
        description=__doc__ or "",
        routers=[],
    )
