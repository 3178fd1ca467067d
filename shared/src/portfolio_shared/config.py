"""Settings common to every service (pydantic-settings). Each service subclasses with its own prefix.

Outside development the settings refuse the well-known development secrets, so a forgotten
environment variable can never put a demo key into production.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - the value the validator refuses


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    service_name: str = "service"
    database_url: str = "sqlite+aiosqlite:///var/service.db"
    broker_url: str = "sqlite+aiosqlite:///var/bus.db"
    topology_prefix: str = ""
    delivery_limit: int = Field(default=5, ge=1, le=100)
    # JWT verification against identity's JWKS (no call per request: keys are cached).
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    jwt_issuer: str = "portfolio-identity"
    jwt_audience: str = "portfolio"
    # Identity's OAuth2 password-grant endpoint, declared in every service's OpenAPI so /docs'
    # "Authorize" signs in (see openapi_security); identity's own address, as seen by a browser.
    oauth2_token_url: str = "http://127.0.0.1:8001/api/v1/auth/token"  # noqa: S105 - a URL, not a secret
    # The issuer's maximum access-token lifetime; a longer-lived token is refused (ASVS V7).
    max_token_seconds: int = Field(default=900, ge=30, le=3600)
    # Prometheus metrics on this internal port (one listener per process), never on the API port.
    # Read from PORTFOLIO_METRICS_PORT for every service alike; unset: no metrics listener.
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, validation_alias=AliasChoices("metrics_port", "portfolio_metrics_port")
    )
    # Worker processes of one service instance (``python -m portfolio_shared.serve <service>``), read
    # from PORTFOLIO_WORKERS for every service alike. Relays, consumers and nightly jobs are
    # replica-safe, so N processes behave as N replicas; each has its own database pool (pool size x
    # workers x replicas must stay under PostgreSQL's max_connections) and its own metrics port
    # (PORTFOLIO_METRICS_PORT … + workers - 1). The standalone shape always runs one process.
    workers: int = Field(default=1, ge=1, le=32, validation_alias=AliasChoices("workers", "portfolio_workers"))
    # Addresses (IPs or CIDRs, comma-separated) of the reverse proxies whose X-Forwarded-For is
    # believed; from any other peer the header is ignored, so a client cannot pick its address for
    # the sign-in throttle or the audit trail (ASVS V6, V16). Empty: trust no forwarded header.
    trusted_proxies: str = ""
    # Request bodies (ASVS V5/V13): JSON routes take at most this many bytes, nested at most this deep;
    # import routes declare their own documented maximum (see portfolio_shared.limits).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_json_depth: int = Field(default=32, ge=2, le=512)
    # How often each replica re-reads the revocations another replica's consumer stored.
    revocation_poll_seconds: float = Field(default=2.0, gt=0, le=60)
    # Secret used by local-disk storage to sign upload/download URLs, and similar HMACs.
    signing_secret: str = DEV_SECRET
    storage_url: str = "file://var/objects"  # or s3://key:secret@host:port/bucket?secure=false
    # Origins (comma-separated) whose pages may PUT/GET the local-disk storage routes cross-origin:
    # the portal's upload script in the standalone shape. S3/MinIO take this from their own CORS.
    storage_cors_origins: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    otel_exporter_endpoint: str | None = None
    log_json: bool = True
    run_relay: bool = True
    # Housekeeping horizons (portfolio_shared.messaging.housekeeping): inbox rows only guard against
    # redeliveries (hours at most); idempotency keys against client retries (minutes).
    inbox_keep_days: float = Field(default=30, gt=0)
    idempotency_keep_days: float = Field(default=7, gt=0)
    run_consumers: bool = True
    # Declare every consumer queue of the platform at start (events/subscribers.py), so no event is
    # published before its consumer's queue exists.
    declare_topology: bool = True
    # A silent network drop (packets vanish, no reset) must fail fast, never hang a request: the
    # database connect timeout, the statement timeout (server side; the client gives up 2 s later),
    # how long a request waits for a pooled connection, and the budget of each readiness check.
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    db_statement_timeout_seconds: float = Field(default=30.0, ge=0, le=3600)  # 0: no statement timeout
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    readiness_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # How often each process reads its dead-letter depths and nightly outcomes for /metrics (opsmetrics).
    ops_observe_seconds: float = Field(default=15.0, gt=0, le=3600)
    # Retry-After of a 503 answered while a dependency (database, storage) is unreachable.
    retry_after_seconds: int = Field(default=5, ge=1, le=3600)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.environment == "production":
            insecure = [name for name, value in self._secrets().items() if not value or value == DEV_SECRET]
            if insecure:
                raise ValueError(f"default or empty secrets are refused outside development: {', '.join(insecure)}")
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs a real database (PostgreSQL), not SQLite")
        return self

    def _secrets(self) -> dict[str, str]:
        """Name → value of every secret; services extend this for their own keys."""
        return {"signing_secret": self.signing_secret}
