"""Dependencies of the identity API as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from portfolio_shared.auth import CurrentPrincipal
from portfolio_shared.db import UnitOfWork
from portfolio_shared.service import ServiceRuntime

from ..config import Settings
from ..service_layer.common import Caller


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    settings = request.app.state.runtime.settings
    assert isinstance(settings, Settings)
    return settings


async def get_uow(runtime: Annotated[ServiceRuntime, Depends(get_runtime)]) -> AsyncIterator[UnitOfWork]:
    async with runtime.uow() as uow:
        yield uow


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_caller(principal: CurrentPrincipal, request: Request) -> Caller:
    return Caller.of(principal, client_ip(request))


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
CallerDep = Annotated[Caller, Depends(get_caller)]
ClientIpDep = Annotated[str | None, Depends(client_ip)]
