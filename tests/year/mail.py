"""A real SMTP server (aiosmtpd) for the year tests that records every message and can hold the
first one (the notification process is then "while sending" and can be killed there)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from portfolio_shared.testing.servers import free_port


class SmtpGate:
    def __init__(self) -> None:
        self.port = free_port()
        self.hold_first = False
        self.entered = threading.Event()  # a message is being received (the sender waits for our answer)
        self.release = threading.Event()
        self.accepted: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold_first and not self.release.is_set():
            self.entered.set()
            await asyncio.to_thread(self.release.wait)
            return "451 4.3.0 Try again later"  # the sender is gone by now; nothing was accepted
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.accepted.append((rcpt, str(message.get("Message-ID"))))
        return "250 2.0.0 OK"

    def recipients(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.accepted)

    def duplicates(self) -> tuple[int, int]:
        """(extra messages to one recipient under a NEW Message-ID, resends with the SAME Message-ID)."""
        with self.lock:
            ids: dict[str, set[str]] = {}
            same = 0
            for rcpt, mid in self.accepted:
                seen = ids.setdefault(rcpt, set())
                same += mid in seen
                seen.add(mid)
            return sum(len(v) - 1 for v in ids.values()), same
