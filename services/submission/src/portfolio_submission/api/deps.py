"""Dependencies of the submission API as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from portfolio_submission.service_layer.context import Deps

from .schemas import ONE_LINE


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]
SchoolQ = Annotated[str, Query(min_length=1, max_length=64, pattern=ONE_LINE, description="The school (tenant)")]
