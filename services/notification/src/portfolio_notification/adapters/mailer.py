"""Sending e-mail: SMTP with aiosmtplib (STARTTLS/TLS, auth), or .eml files in a folder (standalone).

``send_many`` returns, per message key, ``None`` (the server accepted it) or the error text. Each of
``connections`` workers keeps one SMTP connection open and sends over it one message after another;
a message the server refuses leaves the connection usable, a broken connection is reopened.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    sender: str  # envelope sender (bare address)
    recipient: str
    data: bytes  # the whole RFC 5322 message


@functools.lru_cache(maxsize=256)
def _from_header(mail_from: str) -> tuple[str, str]:
    """The envelope sender and the encoded From header (one sender per deployment: encoded once)."""
    name, address = parseaddr(mail_from)
    return address, f"From: {formataddr((name, address), charset='utf-8')}"


@functools.lru_cache(maxsize=4096)
def _subject_header(subject: str) -> str:
    # A fan-out sends one subject to thousands: RFC 2047 encoding (the email package's slow part) once.
    return f"Subject: {Header(subject, 'utf-8').encode()}"


def compose(
    *, mail_from: str, to: str, subject: str, body: str, message_id: str, date: str, language: str = "zh-TW, en"
) -> Outgoing:
    """A UTF-8 plain-text message written directly (the ``email`` package's generator is the slow part of a
    fan-out): headers RFC 2047-encoded, body base64 in 76-character lines."""
    address, from_header = _from_header(mail_from)
    headers = [
        from_header,
        f"To: {to}",
        _subject_header(subject),
        f"Message-ID: {message_id}",
        f"Date: {date}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
        f"Content-Language: {language}",
        "Auto-Submitted: auto-generated",  # RFC 3834: no vacation replies
    ]
    encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
    return Outgoing(address, to, ("\r\n".join(headers) + "\r\n\r\n" + encoded).encode("ascii"))


class Mailer(Protocol):
    async def send_many(self, messages: Sequence[tuple[str, Outgoing]]) -> dict[str, str | None]: ...

    async def close(self) -> None: ...


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30,
        connections: int = 8,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self.tls_context = tls_context
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP] = asyncio.LifoQueue()
        self._slots = asyncio.Semaphore(connections)
        self.connections = connections

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.security == "tls",
            start_tls=True if self.security == "starttls" else False,
            tls_context=self.tls_context,
        )
        await client.connect()
        if self.username:
            await client.login(self.username, self.password or "")
        return client

    async def _send_on(
        self, client: aiosmtplib.SMTP | None, message: Outgoing
    ) -> tuple[aiosmtplib.SMTP | None, str | None]:
        """Send one message on ``client`` (connecting first if there is none); returns the connection
        still usable (None when it broke) and None or the error."""
        try:
            if client is None or not client.is_connected:
                client = await self._connect()
            await client.sendmail(message.sender, [message.recipient], message.data)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, OSError, TimeoutError) as exc:
            if client is not None:
                client.close()
            return None, f"{type(exc).__name__}: {exc}"
        except aiosmtplib.SMTPException as exc:  # refused by the server; the connection stays usable
            return client, f"{type(exc).__name__}: {exc}"
        return client, None

    async def send_many(self, messages: Sequence[tuple[str, Outgoing]]) -> dict[str, str | None]:
        """Up to ``connections`` workers, each holding one connection for the whole batch and taking the
        next message from a shared iterator: no task and no lock per message (what a fan-out of
        thousands pays for otherwise), the same work-stealing as a plain sending loop per connection."""
        results: dict[str, str | None] = {}
        pending = iter(messages)

        async def worker() -> None:
            async with self._slots:  # concurrent batches (dispatcher lanes) share the connections
                client = self._idle.get_nowait() if not self._idle.empty() else None
                try:
                    for key, message in pending:
                        client, results[key] = await self._send_on(client, message)
                finally:
                    if client is not None and client.is_connected:
                        self._idle.put_nowait(client)
                    elif client is not None:
                        client.close()

        await asyncio.gather(*(worker() for _ in range(min(self.connections, len(messages)))))
        return results

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            try:
                await asyncio.wait_for(client.quit(), timeout=2)
            except Exception:  # a closing connection owes us nothing
                client.close()


class EmlFolderMailer:
    """Standalone without SMTP settings: each message becomes ``<folder>/<key>.eml`` (atomic write)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    async def send_many(self, messages: Sequence[tuple[str, Outgoing]]) -> dict[str, str | None]:
        return await asyncio.to_thread(self._write, messages)

    def _write(self, messages: Sequence[tuple[str, Outgoing]]) -> dict[str, str | None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        results: dict[str, str | None] = {}
        for key, message in messages:
            path = self.folder / f"{key}.eml"
            tmp = path.with_suffix(".tmp")
            try:
                tmp.write_bytes(message.data)
                os.replace(tmp, path)
                results[key] = None
                log.info("e-mail written to %s", path)  # the file name is the delivery id, no address
            except OSError as exc:
                results[key] = f"{type(exc).__name__}: {exc}"
        return results

    async def close(self) -> None:
        return None
