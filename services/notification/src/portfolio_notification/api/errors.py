"""Domain errors as RFC 9457 problems: only this edge speaks HTTP (status from the error class)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from portfolio_shared.problems import Problem, problem_response

from ..domain.errors import DomainError


def to_problem(exc: DomainError) -> Problem:
    return Problem(exc.status, exc.code, exc.title_en, exc.title_zh, exc.detail, field=exc.field, rule=exc.rule)


def install(app: FastAPI) -> None:
    async def _domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(to_problem(exc), request)

    app.add_exception_handler(DomainError, _domain)
