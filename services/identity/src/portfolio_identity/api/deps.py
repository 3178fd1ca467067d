"""Dependencies of the identity API as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portfolio_shared.api_deps import RuntimeDep as RuntimeDep
from portfolio_shared.api_deps import UowDep as UowDep
from portfolio_shared.auth import CurrentPrincipal

from ..config import Settings
from ..service_layer.common import Caller


def get_settings(request: Request) -> Settings:
    settings = request.app.state.runtime.settings
    assert isinstance(settings, Settings)
    return settings


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_caller(principal: CurrentPrincipal, request: Request) -> Caller:
    return Caller.of(principal, client_ip(request))


SettingsDep = Annotated[Settings, Depends(get_settings)]
CallerDep = Annotated[Caller, Depends(get_caller)]
ClientIpDep = Annotated[str | None, Depends(client_ip)]
