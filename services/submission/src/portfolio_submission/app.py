"""ASGI entry point of the submission service: `uvicorn portfolio_submission.app:create --factory`.

Submission to the central database (學習歷程中央資料庫): the central windows staff enter and what each
office has due, by when, for how many students (R-SUB-1..3); batches per school, kind and term, built
and submitted by the office of the kind or its acting delegate (R-SUB-4, R-DUTY-2); the pre-submission
check (檢核) per student and row, downloadable as a workbook; read copies of records, artifacts and
identity, with students' personal fields sealed for this service alone.
"""

from fastapi import FastAPI

from portfolio_shared.service import ServiceRuntime, create_app

from .api import batches, objections, receipts, sending, windows
from .api.receipts_deps import receipt_services, start_window_closer
from .bootstrap import bootstrap, make_deps, make_sending
from .config import Settings
from .service_layer.ops import observe_batches_forever
from .service_layer.sending import SendingDeps, run_worker


def create(settings: Settings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    runtime = runtime or bootstrap(settings)
    app = create_app(
        runtime,
        title="Submission service: batches to the central database, receipts, confirmation (提交與收訖確認)",
        description=__doc__ or "",
        routers=[
            windows.windows_router,
            windows.due_router,
            batches.router,
            sending.router,
            receipts.router,
            objections.router,
        ],
        on_startup=[
            lambda rt: _start_sending(rt, app.state.sending),
            start_window_closer,
            lambda rt: rt.run_in_background(observe_batches_forever(rt)),  # issue 17's batch gauges
        ],
    )
    app.state.deps = make_deps(runtime)
    app.state.sending = make_sending(runtime, core=app.state.deps)
    app.state.receipts = receipt_services(app.state.deps, central=app.state.sending.central)
    return app


def _start_sending(runtime: ServiceRuntime, sending: SendingDeps) -> None:
    """Every replica runs the sending worker (claims are leased); off with ``sending_worker=false``."""
    if sending.settings.sending_worker:
        runtime.run_in_background(run_worker(sending))
