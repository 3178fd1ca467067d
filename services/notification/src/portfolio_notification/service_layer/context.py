"""What every handler needs, wired once in ``bootstrap.py`` (tests swap the clock or the mailer here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.service import ServiceRuntime

from ..adapters.crypto import FieldCipher
from ..adapters.mailer import EmlFolderMailer, Mailer, SmtpMailer
from ..config import Settings


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
            connections=settings.smtp_connections,
        )
    return EmlFolderMailer(settings.eml_folder)


@dataclass
class Deps:
    settings: Settings
    cipher: FieldCipher
    mailer: Mailer
    clock: Callable[[], datetime] = utcnow
    runtime: ServiceRuntime | None = None
    # Set when new e-mails are recorded, so the dispatcher does not wait for its next poll.
    email_ready: asyncio.Event = field(default_factory=asyncio.Event)

    def now(self) -> datetime:
        return self.clock()

    def uow(self) -> UnitOfWork:
        if self.runtime is None:
            raise RuntimeError("Deps.runtime is set by bootstrap()")
        return self.runtime.uow()
