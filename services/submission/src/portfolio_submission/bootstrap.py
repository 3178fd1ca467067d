"""The one place where the submission service is wired (tests swap parts here)."""

from pathlib import Path
from typing import Any

from portfolio_shared.service import ServiceRuntime, build_runtime

from .adapters.orm import inbox, metadata, outbox
from .config import Settings
from .consumers import SUBSCRIPTIONS
from .service_layer.context import Deps

SERVICE_DIR = Path(__file__).resolve().parents[2]


def bootstrap(settings: Settings | None = None, **overrides: Any) -> ServiceRuntime:
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
