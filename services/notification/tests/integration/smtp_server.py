"""A real SMTP server (aiosmtpd) on a free local port, told to refuse some attempts, for tests and bench."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Recorder:
    """Keeps every accepted message; refuses (451, temporary) the first ``refuse_first`` attempts of
    each Message-ID, or every attempt while ``always_refuse`` is set."""

    refuse_first: int = 0
    always_refuse: bool = False
    accepted: list[tuple[list[str], Message]] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            key = str(message.get("Message-ID"))
            self.attempts[key] += 1
            if self.always_refuse or self.attempts[key] <= self.refuse_first:
                return "451 4.3.0 Try again later"
            self.accepted.append((list(envelope.rcpt_tos), message))
        return "250 2.0.0 OK"

    def recipients(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpts, _ in self.accepted for rcpt in rcpts)


class SmtpServer:
    def __init__(self, recorder: Recorder | None = None) -> None:
        self.recorder = recorder or Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
