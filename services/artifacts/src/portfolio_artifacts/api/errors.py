"""Domain errors as RFC 9457 problems (422 validation, 409 state/window/cap/enrolment, 403, 404)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from portfolio_artifacts.domain.errors import DomainError, NotEnrolled, OutsideEnrolmentPeriod
from portfolio_artifacts.service_layer.errors import OutsideWindow
from portfolio_shared.problems import Problem, problem_response


def to_problem(exc: DomainError) -> Problem:
    extra: dict[str, Any] | None = None
    if isinstance(exc, OutsideWindow):
        extra = {"windows": exc.windows, "reason": exc.reason}
    elif isinstance(exc, NotEnrolled):
        since = exc.since or None
        extra = {"enrolment": {"school_id": exc.school_id, "status": exc.status_value, "since": since}}
    elif isinstance(exc, OutsideEnrolmentPeriod):
        extra = {"date": exc.value, "enrolment_period": {"starts_on": exc.starts_on}}
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
