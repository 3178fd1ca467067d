"""Helpers shared by the benchmarks: a service in its own process tree, and that tree's CPU time.

As browsers are, the load generator is another process than the service: the service runs as the
container runs it (``python -m portfolio_shared.serve <service>``, ``PORTFOLIO_WORKERS`` processes
under uvicorn's supervisor), and its CPU is read from ``/proc`` for the whole process tree
(supervisor, workers and their parser children; a child that exited and was reaped is counted in its
parent's ``cutime``/``cstime``).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import httpx

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
    return out


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and every descendant, including reaped children."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            # after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
            total += sum(int(v) for v in fields[11:15])
    return total / TICKS


class JwksServer:
    """Serves a TokenMinter's JWKS, as identity does, to services running in other processes."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        body = json.dumps(jwks).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the stdlib's name
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ServiceProcess:
    """``python -m portfolio_shared.serve <service>`` (or any uvicorn app) on a free port."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int) -> None:
        self.argv, self.env, self.port = argv, env, port
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def service(cls, name: str, env: dict[str, str], workers: int) -> ServiceProcess:
        port = free_port()
        argv = [sys.executable, "-m", "portfolio_shared.serve", name, "--host", "127.0.0.1", "--port", str(port)]
        return cls(argv, {**os.environ, **env, "PORTFOLIO_WORKERS": str(workers)}, port)

    @classmethod
    def app(cls, target: str, workers: int, cwd: str) -> ServiceProcess:
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        return cls(argv, {**os.environ, "PYTHONPATH": cwd}, port)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, ready_path: str = "/healthz", workers: int = 1) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="bench-service-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before the load
            self.argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(1200):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.argv} exited with {self.proc.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(self.base + ready_path)).status_code < 500:
                        # every worker up: the supervisor has them all as children (one: no supervisor)
                        if workers == 1 or len(_children(self.proc.pid)) >= workers:
                            await asyncio.sleep(0.5)
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.argv} did not become ready")

    def cpu(self) -> float:
        assert self.proc is not None
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def own_cpu() -> float:
    """This process's CPU (the load generator), threads included."""
    usage = os.times()
    return usage.user + usage.system


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"
