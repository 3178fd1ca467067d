"""FastAPI dependencies every service's API shares (issue 10, "helpers once"), as ``Annotated`` aliases.

A service's own ``api/deps.py`` re-exports these and keeps only what is its own (its settings type,
crypto, caller, path parameters).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from .db import UnitOfWork
from .service import ServiceRuntime


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def get_uow(runtime: Annotated[ServiceRuntime, Depends(get_runtime)]) -> AsyncIterator[UnitOfWork]:
    """One unit of work per request; the route commits, an exception rolls it back."""
    async with runtime.uow() as uow:
        yield uow


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
