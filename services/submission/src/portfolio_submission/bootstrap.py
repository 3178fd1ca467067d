"""The one place where the submission service is wired (tests swap parts here)."""

from pathlib import Path
from typing import Any

from portfolio_shared.service import ServiceRuntime, build_runtime

from .adapters.central_emulator import EmulatorCentral
from .adapters.central_manual import ManualCentral
from .adapters.orm import inbox, metadata, outbox
from .config import Settings
from .consumers import SUBSCRIPTIONS
from .domain.central import CentralPort
from .service_layer.context import Deps
from .service_layer.sending import SendingDeps

SERVICE_DIR = Path(__file__).resolve().parents[2]


def bootstrap(settings: Settings | None = None, **overrides: Any) -> ServiceRuntime:
    # Object storage: the files the workbooks name (artifacts' objects) and the encrypted packages.
    overrides.setdefault("with_storage", True)
    return build_runtime(
        settings or Settings(),
        service_dir=SERVICE_DIR,
        metadata=metadata,
        outbox=outbox,
        inbox=inbox,
        subscriptions=SUBSCRIPTIONS,
        **overrides,
    )


def make_deps(runtime: ServiceRuntime, **overrides: Any) -> Deps:
    """Use-case dependencies for a runtime (the app and tests use this)."""
    settings = runtime.settings if isinstance(runtime.settings, Settings) else Settings(**runtime.settings.model_dump())
    return Deps(runtime=runtime, settings=settings, **overrides)


def make_central(settings: Settings) -> CentralPort:
    """The central database's adapter the settings choose (``central_adapter``)."""
    if settings.central_adapter == "manual":
        return ManualCentral()
    return EmulatorCentral(settings.central_url, timeout=settings.central_timeout_seconds)


def make_sending(runtime: ServiceRuntime, **overrides: Any) -> SendingDeps:
    """Sending's dependencies (the worker, the package download, the manual answer)."""
    core = overrides.pop("core", None) or make_deps(runtime)
    settings = core.settings
    if runtime.storage is None:
        raise RuntimeError("the submission service needs object storage (files and packages)")
    return SendingDeps(
        uow=runtime.uow,
        store=overrides.pop("store", None) or runtime.storage,
        keyring=overrides.pop("keyring", None) or settings.package_keyring(),
        central=overrides.pop("central", None) or make_central(settings),
        settings=settings,
        core=core,
        **overrides,
    )
