"""A pytest fixture that runs the central-database emulator as a REAL uvicorn server, in its own
process on a free port, so tests go through the network path a submission service uses — and can
kill it (``kill -9``) and start it again on the same data.

Loaded by the root conftest (``pytest_plugins``); use ``central_emulator`` in a test, or
:class:`EmulatorProcess` directly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from portfolio_shared.testing.servers import free_port

ADMIN_TOKEN = "emulator-test-admin-token"  # noqa: S105 - a test-only token


class EmulatorProcess:
    def __init__(self, data: Path, *, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {"PORTFOLIO_CENTRAL_ADMIN_TOKEN": ADMIN_TOKEN, "PORTFOLIO_CENTRAL_HANG_SECONDS": "30", **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.log = data / "emulator.log"

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env['PORTFOLIO_CENTRAL_ADMIN_TOKEN']}"}

    def start(self, timeout: float = 30.0) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "portfolio_central.emulator", "--port", str(self.port), "--data", str(self.data)]
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.env}, text=True
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not answer within {timeout} s:\n{self.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """kill -9: no shutdown, nothing flushed that was not already durable."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/admin{path}", headers=self.admin_headers, timeout=10, **kw)


@pytest.fixture
def central_emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    emulator = EmulatorProcess(tmp_path / "central-emulator")
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
