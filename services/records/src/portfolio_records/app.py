"""ASGI entry point of the records service: `uvicorn portfolio_records.app:create --factory`."""

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .bootstrap import bootstrap
from .config import Settings


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    return create_app(
        runtime,
        title="Records service: enrolment, courses, grades, basic data, counselling, calendar (學籍與修課紀錄)",
        description=__doc__ or "",
        routers=[],
    )
