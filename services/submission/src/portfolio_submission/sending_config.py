"""Settings of packaging and sending (PORTFOLIO_SUBMISSION_*): the package key, the central
database's adapter, and the sending worker. ``config.Settings`` inherits them.

``package_key`` is ``"<kid>:<base64 32-byte key>[,<older kid>:<key>...]"`` (the first wraps new
packages; older ids keep unwrapping stored ones until they are purged). Empty in development or
test: a key is generated once into ``package_key_file`` (var/). Empty in production: refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

from pydantic import Field, model_validator

from portfolio_shared.config import ServiceSettings

if TYPE_CHECKING:
    from .packaging.crypto import PackageKeyring


class SendingSettings(ServiceSettings):
    package_key: str = ""
    package_key_file: str = "var/submission-package.key"
    # Where packages lie in object storage, and how long they stay after the central database
    # accepted them (then the purge deletes them; a refused or failed batch's package goes at once
    # when the batch is rebuilt or abandoned).
    package_prefix: str = "submission-packages/"
    package_keep_days: float = Field(default=30, gt=0)
    # The central database: "emulator" (HTTP, the emulator's API) or "manual" (the office downloads
    # the package and uploads it by hand, then records the central database's answer).
    central_adapter: Literal["emulator", "manual"] = "emulator"
    central_url: str = "http://127.0.0.1:8006"
    central_timeout_seconds: float = Field(default=60, gt=0, le=3600)
    # Sending: attempts per batch before it fails for good, exponential backoff between them.
    send_max_attempts: int = Field(default=6, ge=1, le=100)
    send_backoff_seconds: float = Field(default=30, gt=0)
    send_backoff_max_seconds: float = Field(default=3600, gt=0)
    # The background worker: how often it looks for work, how long a claim (lease) lasts without
    # renewal (a replica that died is taken over after this), and whether this replica runs it.
    sending_worker: bool = True
    sending_poll_seconds: float = Field(default=2.0, gt=0, le=600)
    sending_lease_seconds: float = Field(default=60.0, ge=1, le=3600)

    @model_validator(mode="after")
    def _package_key_in_production(self) -> Self:
        if self.environment == "production" and not self.package_key.strip():
            raise ValueError("PORTFOLIO_SUBMISSION_PACKAGE_KEY is required in production (packages hold national IDs)")
        if self.package_key.strip():
            from .packaging.crypto import PackageKeyring

            PackageKeyring.parse(self.package_key)  # a malformed key fails at start, not at the first batch
        return self

    def package_keyring(self) -> PackageKeyring:
        """The configured package key(s); without one (development, test) the generated key in var/."""
        from .packaging.crypto import PackageKeyring

        if self.package_key.strip():
            return PackageKeyring.parse(self.package_key)
        return PackageKeyring.development(Path(self.package_key_file))
