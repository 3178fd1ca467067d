"""The one place where the artifacts service is wired (tests swap parts here)."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from portfolio_shared.messaging.housekeeping import Purge
from portfolio_shared.service import ServiceRuntime, build_runtime
from portfolio_shared.storage import ObjectStorage

from .adapters.orm import idempotency_keys, inbox, metadata, outbox
from .config import Settings
from .consumers import subscriptions_for
from .domain.catalog_files import build_registry
from .service_layer.context import Deps

SERVICE_DIR = Path(__file__).resolve().parents[2]


def bootstrap(settings: Settings | None = None, **overrides: Any) -> ServiceRuntime:
    overrides.setdefault("with_storage", True)  # files go to object storage, never through the database
    settings = settings or Settings()
    built: list[ServiceRuntime] = []

    def storage() -> ObjectStorage:  # the runtime's own storage, for the retention eraser (R-RET-1)
        if not built or built[0].storage is None:
            raise RuntimeError("the artifacts service needs object storage (bootstrap with_storage=True)")
        return built[0].storage

    runtime = build_runtime(
        settings,
        service_dir=SERVICE_DIR,
        metadata=metadata,
        outbox=outbox,
        inbox=inbox,
        subscriptions=subscriptions_for(storage),
        **overrides,
    )
    # Idempotency keys are purged on the relay's schedule, after their horizon (issue 10).
    keep = timedelta(days=settings.idempotency_keep_days)
    built.append(runtime)
    runtime.relay.purges.append(Purge(idempotency_keys, "created_at", keep))
    return runtime


def make_deps(runtime: ServiceRuntime, **overrides: Any) -> Deps:
    """Handler dependencies for a runtime (the app, the CLI and tests use this)."""
    settings = runtime.settings if isinstance(runtime.settings, Settings) else Settings(**runtime.settings.model_dump())
    if "catalogs" not in overrides and (settings.catalog_files or settings.performance_catalog_version):
        # Catalogue versions as data (R-FILE-3); a bad file stops the start with every problem named.
        overrides["catalogs"], overrides["current_catalog"] = build_registry(
            settings.catalog_paths(), settings.performance_catalog_version or None
        )
    return Deps(runtime=runtime, settings=settings, rules=settings.file_rules(), **overrides)
