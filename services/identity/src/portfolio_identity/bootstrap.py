"""The one place where the identity service is wired (tests swap parts here)."""

from pathlib import Path
from typing import Any

from portfolio_shared.service import ServiceRuntime, build_runtime

from .adapters.orm import EMAIL_KEYS, inbox, metadata, outbox
from .adapters.verifier import DatabaseKeyVerifier
from .config import Settings
from .consumers import SUBSCRIPTIONS

SERVICE_DIR = Path(__file__).resolve().parents[2]


def bootstrap(settings: Settings | None = None, **overrides: Any) -> ServiceRuntime:
    """Identity verifies tokens with its own key table unless a test passes `verifier=`."""
    settings = settings or Settings()
    EMAIL_KEYS.configure(settings.contact_keys)  # e-mail addresses are encrypted at rest
    own_verifier = None
    if "verifier" not in overrides:
        own_verifier = DatabaseKeyVerifier(
            audience=settings.jwt_audience, issuer=settings.jwt_issuer, max_token_seconds=settings.max_token_seconds
        )
        overrides["verifier"] = own_verifier
    runtime = build_runtime(
        settings,
        service_dir=SERVICE_DIR,
        metadata=metadata,
        outbox=outbox,
        inbox=inbox,
        subscriptions=SUBSCRIPTIONS,
        **overrides,
    )
    if own_verifier is not None:
        own_verifier.bind(runtime.sessionmaker)
    return runtime
