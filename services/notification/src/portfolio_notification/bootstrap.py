"""The one place where the notification service is wired (tests swap parts here)."""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from portfolio_shared.service import ServiceRuntime, build_runtime

from .adapters.crypto import FieldCipher
from .adapters.mailer import Mailer
from .adapters.orm import inbox, metadata, outbox
from .config import Settings
from .consumers import make_subscriptions
from .service_layer.context import Deps, make_mailer

SERVICE_DIR = Path(__file__).resolve().parents[2]
_DEPS_ATTR = "notification_deps"


def bootstrap(
    settings: Settings | None = None,
    *,
    mailer: Mailer | None = None,
    clock: Callable[[], datetime] | None = None,
    **overrides: Any,
) -> ServiceRuntime:
    settings = settings or Settings()
    deps = Deps(settings=settings, cipher=FieldCipher(settings.contact_keys), mailer=mailer or make_mailer(settings))
    if clock is not None:
        deps.clock = clock
    runtime = build_runtime(
        settings,
        service_dir=SERVICE_DIR,
        metadata=metadata,
        outbox=outbox,
        inbox=inbox,
        subscriptions=make_subscriptions(deps),
        **overrides,
    )
    deps.runtime = runtime
    setattr(runtime, _DEPS_ATTR, deps)
    return runtime


def deps_of(runtime: ServiceRuntime) -> Deps:
    deps = getattr(runtime, _DEPS_ATTR, None)
    if not isinstance(deps, Deps):
        raise RuntimeError("this runtime was not built by portfolio_notification.bootstrap")
    return deps
