"""The one place where the identity service is wired (tests swap parts here)."""

from pathlib import Path
from typing import Any

from portfolio_shared.service import ServiceRuntime, build_runtime

from .adapters.orm import inbox, metadata, outbox
from .config import Settings
from .consumers import SUBSCRIPTIONS

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
