"""ASGI entry point of the submission service: `uvicorn portfolio_submission.app:create --factory`."""

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .api import sending as sending_api
from .bootstrap import bootstrap, make_sending
from .config import Settings
from .service_layer.sending import SendingDeps, run_worker


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    sending = make_sending(runtime)
    app = create_app(
        runtime,
        title="Submission service: batches to the central database, receipts, confirmation (提交與收訖確認)",
        description=__doc__ or "",
        routers=[sending_api.router],
        on_startup=[lambda rt: _start_sending(rt, sending)],
    )
    app.state.sending = sending
    return app


def _start_sending(runtime: ServiceRuntime, sending: SendingDeps) -> None:
    """Every replica runs the sending worker (claims are leased); off with ``sending_worker=false``."""
    if sending.settings.sending_worker:
        runtime.run_in_background(run_worker(sending))
