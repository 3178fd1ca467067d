"""Sending e-mail: SMTP with aiosmtplib (STARTTLS/TLS, auth), or .eml files in a folder (standalone).

``send_many`` returns, per message key, ``None`` (the server accepted it) or the error text. Each of
``connections`` workers keeps one SMTP connection open and sends over it one message after another;
a message the server refuses leaves the connection usable, a broken connection is reopened.
"""

from __future__ import annotations

import asyncio
import base64
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


def compose(
    *, mail_from: str, to: str, subject: str, body: str, message_id: str, date: str, language: str = "zh-TW, en"
) -> Outgoing:
    """A UTF-8 plain-text message written directly (the ``email`` package's generator is the slow part of a
    fan-out): headers RFC 2047-encoded, body base64 in 76-character lines."""
    name, address = parseaddr(mail_from)
    headers = [
        f"From: {formataddr((name, address), charset='utf-8')}",
        f"To: {to}",
        f"Subject: {Header(subject, 'utf-8').encode()}",
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

    async def _send_one(self, message: Outgoing) -> str | None:
        async with self._slots:
            client = self._idle.get_nowait() if not self._idle.empty() else None
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                await client.sendmail(message.sender, [message.recipient], message.data)
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, OSError, TimeoutError) as exc:
                if client is not None:
                    client.close()
                return f"{type(exc).__name__}: {exc}"
            except aiosmtplib.SMTPException as exc:  # refused by the server; the connection stays usable
                if client is not None:
                    self._idle.put_nowait(client)
                return f"{type(exc).__name__}: {exc}"
            self._idle.put_nowait(client)
            return None

    async def send_many(self, messages: Sequence[tuple[str, Outgoing]]) -> dict[str, str | None]:
        results = await asyncio.gather(*(self._send_one(m) for _, m in messages))
        return {key: result for (key, _), result in zip(messages, results, strict=True)}

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
