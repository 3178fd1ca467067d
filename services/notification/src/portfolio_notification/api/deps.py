"""Dependencies of the notification API as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from ..service_layer.context import Deps


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]
ONE_LINE = r"^[^\x00-\x1f\x7f]+$"
SchoolQ = Annotated[str, Query(min_length=1, max_length=64, pattern=ONE_LINE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
