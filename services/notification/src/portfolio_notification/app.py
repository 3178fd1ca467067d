"""ASGI entry point of the notification service: `uvicorn portfolio_notification.app:create --factory`.

Each person's inbox, e-mail over SMTP, postal letters (PDF) for students who left, reminders before
windows close, and the delivery log (通知). Every message is sent once per (trigger, recipient, channel).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .api import deliveries, inbox, letters, preferences, schools
from .bootstrap import bootstrap, deps_of
from .config import Settings
from .service_layer.jobs import EmailDispatcher, ReminderScheduler


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    deps = deps_of(runtime)
    app = create_app(
        runtime,
        title="Notification service: inbox, e-mail and postal letters (通知)",
        description=__doc__ or "",
        routers=[inbox.router, preferences.router, letters.router, deliveries.router, schools.router],
    )
    app.state.deps = deps
    dispatcher = EmailDispatcher(deps)
    scheduler = ReminderScheduler(deps)
    app.state.dispatcher, app.state.scheduler = dispatcher, scheduler
    chassis_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with chassis_lifespan(app):
            if deps.settings.run_dispatcher:
                dispatcher.start()
            if deps.settings.run_scheduler:
                scheduler.start()
            try:
                yield
            finally:
                await scheduler.stop()
                await dispatcher.stop()

    app.router.lifespan_context = lifespan
    return app
