"""ASGI entry point of the artifacts service: `uvicorn portfolio_artifacts.app:create --factory`."""

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .bootstrap import bootstrap
from .config import Settings


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    return create_app(
        runtime,
        title="Artifacts service: course learning outcomes and multiple performances (課程學習成果與多元表現)",
        description=__doc__ or "",
        routers=[],
    )
