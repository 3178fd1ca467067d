"""Domain errors as RFC 9457 problems (422 validation, 409 state/window/cap, 403, 404)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from portfolio_artifacts.domain.errors import DomainError
from portfolio_artifacts.service_layer.errors import OutsideWindow
from portfolio_shared.problems import Problem, problem_response


def to_problem(exc: DomainError) -> Problem:
    extra = {"windows": exc.windows} if isinstance(exc, OutsideWindow) else None
    return Problem(
        exc.status,
        exc.code,
        exc.title_en,
        exc.title_zh,
        exc.detail,
        field=exc.field,
        rule=exc.rule,
        extra=extra,
    )


def install(app: FastAPI) -> None:
    async def _domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(to_problem(exc), request)

    app.add_exception_handler(DomainError, _domain)
