"""Settings of the identity service (environment variables PORTFOLIO_IDENTITY_*)."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from portfolio_shared.config import DEV_SECRET, ServiceSettings
from portfolio_shared.fieldcrypto import FieldCipher

# Public development key of the e-mail addresses at rest (portfolio_shared.fieldcrypto); refused outside development.
DEV_CONTACT_KEYS = "dev1:aWRlbnRpdHktZGV2LW9ubHktY29udGFjdC1rZXktMDE="

MAX_ACCESS_TOKEN_SECONDS = 900
"""Access tokens live at most 15 minutes: other services cannot ask identity whether one was revoked."""


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_IDENTITY_", env_file=".env", extra="ignore")

    service_name: str = "identity"
    # Browser origins (the other services' /docs) allowed to call the OAuth2 token endpoint
    # cross-origin, comma-separated; empty: none (one ingress host needs none). See api/token_cors.
    token_cors_origins: str = ""
    database_url: str = "sqlite+aiosqlite:///var/identity.db"
    # Private signing keys are stored encrypted with a key derived from this secret (HKDF → AES-GCM).
    key_encryption_secret: str = DEV_SECRET
    # Users' e-mail addresses are stored AES-GCM encrypted with these keys ("<kid>:<base64 32 bytes>,…";
    # the first encrypts, all decrypt).
    contact_keys: str = DEV_CONTACT_KEYS
    # A rotated-in key is published this long before it signs: verifiers cache the JWKS (max-age 60 s).
    key_activation_delay_seconds: float = Field(default=90.0, ge=0, le=3600)
    access_token_seconds: int = Field(default=600, ge=30, le=MAX_ACCESS_TOKEN_SECONDS)
    refresh_token_seconds: int = Field(default=14 * 24 * 3600, ge=300)
    # Failed sign-ins (ASVS V6). One address guessing one account: free attempts, then an
    # exponential lock of that pair only (base · 2^n seconds, capped) answered 429 + Retry-After.
    login_free_failures: int = Field(default=5, ge=1)
    lockout_base_seconds: float = Field(default=1.0, gt=0)
    lockout_max_seconds: float = Field(default=900.0, gt=0)
    # One account guessed from many addresses, or one address spraying many accounts: a growing
    # delay before the password is checked, never a lock, so a whole school behind one NAT address
    # (or a person whose account is under attack) still signs in with the right password.
    account_free_failures: int = Field(default=10, ge=1)
    ip_free_failures: int = Field(default=100, ge=1)
    slowdown_base_seconds: float = Field(default=0.25, ge=0)
    slowdown_max_seconds: float = Field(default=4.0, ge=0, le=30)
    failure_memory_seconds: float = Field(default=3600.0, gt=0)
    # The nightly sync refuses to deactivate more than this share of a school's SIS accounts (R-DUTY-3).
    sync_max_deactivation_share: float = Field(default=0.5, gt=0, le=1)
    sync_max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Nightly pull of the SIS account export (R-DUTY-3): where each school's SIS drops it. The URL
    # names a folder (file:///srv/sis-drop) or an S3 bucket (s3://KEY:SECRET@host:9000/bucket?secure=false);
    # the prefix template names each school's folder in it. Empty URL: no nightly pull.
    sis_drop_url: str = ""
    sis_drop_prefix: str = "{school_code}/"
    sis_drop_pattern: str = "accounts*.csv"  # the newest matching name (date in the name) is imported
    nightly_sync_at: str = Field(default="02:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    nightly_time_zone: str = "Asia/Taipei"
    # The in-process scheduler (standalone shape); Kubernetes runs the CronJob instead.
    nightly_scheduler: bool = False
    nightly_lease_seconds: int = Field(default=7200, ge=60)
    # Re-resolve who acts for each duty this often, so an absence that starts today takes effect (R-DUTY-2).
    acting_refresh_seconds: float = Field(default=3600.0, ge=0)
    # Bootstrap: the first system administrator, created at start-up when both are set.
    bootstrap_admin_login: str = ""
    bootstrap_admin_password: str = ""
    # Development only: a demo district, school and users with known passwords printed to the console.
    demo_data: bool = False

    @model_validator(mode="after")
    def _refuse_demo_outside_development(self) -> Self:
        if self.demo_data and self.environment != "development":
            raise ValueError("demo_data is only allowed in the development environment")
        # Its own verifier (and every other service's) refuses tokens living longer than this.
        if self.access_token_seconds > self.max_token_seconds:
            raise ValueError("access_token_seconds must not exceed max_token_seconds (verifiers refuse such tokens)")
        return self

    @model_validator(mode="after")
    def _refuse_development_contact_keys(self) -> Self:
        if self.environment == "production" and self.contact_keys == DEV_CONTACT_KEYS:
            raise ValueError("the public development contact_keys are refused outside development")
        FieldCipher(self.contact_keys)  # a malformed key list stops the start here, naming the setting's format
        return self

    def _secrets(self) -> dict[str, str]:
        return {
            **super()._secrets(),
            "key_encryption_secret": self.key_encryption_secret,
            "contact_keys": self.contact_keys,
        }
